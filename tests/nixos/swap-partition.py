machine.wait_for_unit("multi-user.target")

with subtest("Swap is active"):
  # Doesn't matter if the numbers reported by `free` are slightly off due to unit conversions.
  machine.succeed("free -h | grep -E 'Swap:\s+2[45][0-9]Mi'")
