#!/usr/bin/env python3
"""Sum the tests in a meson testlog.json: each TAP test point counts once;
a test without TAP output counts as one by its meson result."""
import json
import re
import sys

TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def count(entry):
    passed = failed = skipped = 0
    points = 0
    for line in (entry.get("stdout") or "").splitlines():
        m = TAP_LINE.match(line)
        if not m:
            continue
        points += 1
        directive = m.group(2)
        if re.search(r"#\s*skip", directive, re.I):
            skipped += 1
        elif m.group(1) == "ok":
            passed += 1
        else:
            failed += 1
    result = entry.get("result")
    if points == 0:
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
    elif result not in ("OK", "SKIP", "EXPECTEDFAIL") and failed == 0:
        # The executable failed (crash, timeout) after its test points.
        failed += 1
    return passed, failed, skipped


def main():
    totals = [0, 0, 0]
    with open(sys.argv[1]) as f:
        for line in f:
            for i, n in enumerate(count(json.loads(line))):
                totals[i] += n
    print(f"{totals[0]} passed, {totals[1]} failed, {totals[2]} skipped")
    return 1 if totals[1] else 0


if __name__ == "__main__":
    sys.exit(main())
