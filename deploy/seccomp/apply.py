#!/usr/bin/python3
"""Runs a command under a Docker-format seccomp profile, on the host.

    /usr/bin/python3 deploy/seccomp/apply.py PROFILE.json [--without NAME]... -- CMD [ARG]...

No container engine runs where the tests run, so test/deploy checks the
profile this way: the filter is built with libseccomp (python3-seccomp, the
library runc uses too) from the same JSON, loaded into this process, and
inherited by CMD and everything it starts. --without NAME drops NAME from
every rule, to show that a test fails without it.

Only what deploy/seccomp/profile.ts writes is understood (actions ALLOW and
ERRNO, one argument comparison per rule, no capability conditions); anything
else is refused rather than read another way than runc would. As runc does,
names this architecture does not have are skipped.
"""

from __future__ import annotations

import json
import os
import sys

import seccomp

OPS = {"SCMP_CMP_EQ": seccomp.EQ, "SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ}
KNOWN_RULE_KEYS = {"names", "action", "errnoRet", "args", "comment"}


def action(rule: dict, default_errno: int) -> int:
    if rule["action"] == "SCMP_ACT_ALLOW":
        return seccomp.ALLOW
    if rule["action"] == "SCMP_ACT_ERRNO":
        return seccomp.ERRNO(rule.get("errnoRet", default_errno))
    raise SystemExit(f"apply.py: action {rule['action']} not understood")


def argument(arg: dict) -> seccomp.Arg:
    op = OPS.get(arg["op"])
    if op is None:
        raise SystemExit(f"apply.py: comparison {arg['op']} not understood")
    if op == seccomp.MASKED_EQ:
        # Docker's value is the mask, valueTwo what the masked argument must equal.
        return seccomp.Arg(arg["index"], op, arg["value"], arg.get("valueTwo", 0))
    return seccomp.Arg(arg["index"], op, arg["value"])


def build(profile: dict, without: set[str]) -> seccomp.SyscallFilter:
    if profile["defaultAction"] != "SCMP_ACT_ERRNO":
        raise SystemExit(f"apply.py: default action {profile['defaultAction']} not understood")
    default_errno = profile.get("defaultErrnoRet", 1)
    flt = seccomp.SyscallFilter(defaction=seccomp.ERRNO(default_errno))
    for rule in profile["syscalls"]:
        unknown = set(rule) - KNOWN_RULE_KEYS
        if unknown or len(rule.get("args", [])) > 1:
            raise SystemExit(f"apply.py: rule {rule['names']} has {sorted(unknown) or 'several arguments'}: not understood")
        act = action(rule, default_errno)
        args = [argument(a) for a in rule.get("args", [])]
        for name in rule["names"]:
            if name in without:
                continue
            try:
                flt.add_rule(act, name, *args)
            except (RuntimeError, ValueError):
                # Not a syscall of this architecture (chown32 on x86_64, ...).
                continue
    return flt


def main(argv: list[str]) -> int:
    if "--" not in argv or argv.index("--") < 1 or argv.index("--") == len(argv) - 1:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    sep = argv.index("--")
    options, command = argv[:sep], argv[sep + 1 :]
    path, rest = options[0], options[1:]
    without: set[str] = set()
    while rest:
        if rest[0] != "--without" or len(rest) < 2:
            print(f"apply.py: unknown option {rest[0]}", file=sys.stderr)
            return 2
        without.add(rest[1])
        rest = rest[2:]
    with open(path, encoding="utf-8") as f:
        profile = json.load(f)
    build(profile, without).load()
    os.execvp(command[0], command)
    return 127


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
