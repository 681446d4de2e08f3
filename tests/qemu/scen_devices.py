"""User-level drivers (docs/devices.md) booted as init with a virtio-blk disk."""

SCENARIOS = []

# User-level drivers (docs/devices.md), booted as init with a virtio-blk
# disk whose every sector testrun.py wrote with known content ("pattern").
DRIVER_TESTS = ["driver_test", "virtio_blk_test", "blk_test"]
for _t in DRIVER_TESTS:
    SCENARIOS.append(dict(name="devices/" + _t, append="init=/tests/" + _t, disk="pattern",
                          expect=[r"UTEST PASS " + _t], reject=[r"UTEST FAIL", r"PANIC"]))
