held.wait_for_unit("multi-user.target")
held.succeed("sleep 1000 >/dev/null 2>&1 &")
print("HELD UP", flush=True)
import time
time.sleep(600)
