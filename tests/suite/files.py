assert box.succeed("cat /etc/suite-marker") == "from the suite"
