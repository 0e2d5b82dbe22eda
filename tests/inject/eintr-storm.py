# subprocess under an EINTR storm: a handled signal interrupts every other
# read, write, poll and waitpid of this process.  PEP 475 says CPython
# retries each of them; the child's output must come back whole.
import os
import signal
import subprocess
import sys

handled = 0


def on_signal(signum, frame):
    global handled
    handled += 1


# SIGURG's default is to be ignored: before this line the storm's signals
# are lost harmlessly; after it, each one runs the handler.
signal.signal(signal.SIGURG, on_signal)
data = os.urandom(300000)
r = subprocess.run(["cat"], input=data, capture_output=True, timeout=60)
if r.returncode != 0 or r.stdout != data:
    sys.exit("cat's output differs (returncode %d, %d bytes of %d)"
             % (r.returncode, len(r.stdout), len(data)))
if handled < 100:
    sys.exit("only %d signals were handled" % handled)
