# tst_screens: an X11 desktop with two xterms; OCR, needles and the mouse on it (run by
# vivarium-test in a scratch directory, where the needles are written).
import json, os, shutil, time

def timed(what, f):  # the figures for the closing note and docs/graphical-tests.md
    t = time.time(); r = f(); print(f"TIME {what} {time.time() - t:.2f}"); return r

# No screen: said at once, without a boot.
try:
    plain.get_screen_text()
    raise AssertionError("a machine without graphics read its screen")
except MachineError as e:
    assert "has no screen" in str(e), e
assert not plain.is_up()

timed("x11_ready", lambda: (desk.wait_for_x(timeout=240), desk.wait_for_window("^right$", timeout=60)))
assert "right" in desk.get_window_names(visible=True)  # mapped: what wait_for_window waits for
names = desk.get_window_names()
assert "left" in names and "right" in names, names
timed("wait_for_text", lambda: desk.wait_for_text("omega window", timeout=60))
desk.wait_for_window("^left$", timeout=60)
desk.wait_for_text("alpha window", timeout=60)  # both drawn: no window maps (and takes the focus) later
# A click gives the right xterm the focus; typed text goes there.
desk.mouse_click(700, 150)
desk.send_chars("echo typed into right\n")
timed("wait_for_text_typed", lambda: desk.wait_for_text("typed into right", timeout=60))
boxes = desk.find_text("^typed into right$")
assert len(boxes) == 1, boxes
x, y, w, h = boxes[0]
assert 520 <= x and x + w <= 1024 and 40 <= y <= 260, boxes
assert desk.find_text("no such words") == []
text = timed("get_screen_text", desk.get_screen_text)
assert "alpha window" in text, text
variants = desk.get_screen_text_variants(region=(500, 30, 520, 230))
assert len(variants) == 3 and any("omega" in v for v in variants) and not any("alpha" in v for v in variants), variants

# A needle cut from this screen (openQA keeps the whole screenshot and names an area).
os.makedirs("needles", exist_ok=True)
shot = desk.screenshot("for-needle")
shutil.copy(shot, "needles/right-xterm.png")
bx, by, bw, bh = desk.find_text("omega window")[0]
with open("needles/right-xterm.json", "w") as f:
    json.dump({"area": [{"xpos": bx - 4, "ypos": by - 4, "width": bw + 8, "height": bh + 8,
                         "type": "match", "click_point": "center"}], "tags": ["right"]}, f)
found = timed("match_screen", lambda: desk.match_screen("needles/right-xterm.json"))
assert found is not None and found["similarity"] > 0.96, found
desk.wait_for_screen("needles/right-xterm.json", timeout=10)

# A click in the left xterm's text gives it the focus: typed text goes there now.
desk.click_text("alpha window", timeout=60)
desk.send_chars("echo now on the left\n")
desk.wait_for_text("now on the left", timeout=60)
lx, ly, lw, lh = desk.find_text("now on the left")[0]
assert lx + lw < 500, (lx, ly)
assert desk.succeed("DISPLAY=:0 xdotool getactivewindow getwindowname").strip() == "left"
desk.mouse_click(700, 120)
assert desk.succeed("DISPLAY=:0 xdotool getactivewindow getwindowname").strip() == "right"

# The right window closed: the needle no longer matches, and waiting for it names the best score.
desk.send_chars("exit\n")
desk.wait_until_succeeds("! DISPLAY=:0 xdotool search --name '^right$'", timeout=30)
assert desk.match_screen("needles/right-xterm.json") is None
try:
    desk.wait_for_screen("needles/right-xterm.json", timeout=2)
    raise AssertionError("a needle matched a closed window")
except MachineError as e:
    assert "did not match within 2" in str(e) and "best" in str(e) and "-diff.png" in str(e), e
print("SCREENS OK")
