#!/usr/bin/env python3
# A stand-in for qemu-system-x86_64 in tests: records its argv and pid beside itself, then serves just
# enough QMP (greeting, qmp_capabilities, query-status, system_powerdown) on the -qmp socket; after a
# system_powerdown it exits 0, as QEMU does when the guest powers off. With a file "fail" beside it, it
# prints that file's text on stderr and exits 1 at once, as QEMU does when it cannot build the machine.
import json, os, socket, sys

here = os.path.dirname(os.path.abspath(sys.argv[0]))
with open(os.path.join(here, "argv.json"), "w") as f:
    json.dump(sys.argv, f)
with open(os.path.join(here, "pid"), "w") as f:
    f.write(str(os.getpid()))
fail = os.path.join(here, "fail")
if os.path.exists(fail):
    sys.stderr.write(open(fail).read())
    sys.exit(1)

qmp = sys.argv[sys.argv.index("-qmp") + 1]
path = qmp[len("unix:"):].split(",server=")[0].replace(",,", ",")
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
powered_down = False
while not powered_down:
    conn, _ = server.accept()
    f = conn.makefile("rw")
    f.write(json.dumps({"QMP": {"version": {"qemu": {"major": 7, "minor": 2, "micro": 0}, "package": ""}, "capabilities": []}}) + "\n")
    f.flush()
    for line in f:
        cmd = json.loads(line)
        name = cmd.get("execute")
        reply = {"return": {"status": "running", "running": True}} if name == "query-status" else {"return": {}}
        if "id" in cmd:
            reply["id"] = cmd["id"]
        f.write(json.dumps(reply) + "\n")
        f.flush()
        if name == "system_powerdown":
            powered_down = True
    conn.close()
sys.exit(0)
