quick.succeed("true")
