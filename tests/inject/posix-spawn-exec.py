# An exec failure inside glibc's posix_spawn, which CPython uses when
# close_fds is false: the error comes back from posix_spawn itself.
import subprocess

assert subprocess._USE_POSIX_SPAWN
try:
    subprocess.run(["/bin/true"], close_fds=False)
    print("ran")
except OSError as e:
    print(type(e).__name__, e.errno)
