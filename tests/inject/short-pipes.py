# subprocess with short transfers on every pipe: every byte must arrive.
# Nothing is printed: stdout is faulted too.
import os
import subprocess
import sys

data = os.urandom(1 << 20)
r = subprocess.run(["cat"], input=data, capture_output=True, timeout=60)
sys.exit(0 if r.returncode == 0 and r.stdout == data else 1)
