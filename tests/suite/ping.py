start_all()
a.succeed("ping -c 1 -W 5 b")
b.succeed("ping -c 1 -W 5 a")
