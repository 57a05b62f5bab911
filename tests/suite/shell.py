assert one.succeed("echo $((6 * 7))").strip() == "42"
