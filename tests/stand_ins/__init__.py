"""Stand-ins for the outside world, on this machine: Ably's production hostnames answered by the emulator over TLS,
the deployed site at an Azure hostname, and the resolver rules that send those names to loopback.

The names are mapped inside the test only (Chromium's --host-resolver-rules, a resolver hook for Python child
processes), every other name fails to resolve, and the certificates come from a throwaway CA that only the
rehearsal trusts: no system file changes, no root, nothing leaves the machine.
"""
