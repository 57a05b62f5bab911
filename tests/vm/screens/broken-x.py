desk.wait_for_x(timeout=120)
