guest.wait_for_ready()
guest.succeed("test -d /proc/1")
