"""./nvmev soak, short: one minute of every kind under verify while the
guest resets the controller, detaches and reattaches a namespace and
hot-replugs a second controller, and the host retunes, clears statistics
and injects zone faults (scripts/soak.py, docs/soak.md). The long form is
`./nvmev soak --minutes 30`. Not in the default tiers: `./nvmev test
--tier soak` (docs/soak.md says why)."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class SoakTest(unittest.TestCase):
    def test_one_minute_of_everything_at_once(self):
        with tempfile.TemporaryDirectory() as out:
            r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "soak.py"),
                                "--minutes", "1", "--seed", "16", "--out", out],
                               capture_output=True, text=True, timeout=900)
            with open(os.path.join(out, "soak.json")) as f:
                res = json.load(f)
            with open(os.path.join(out, "soak.log")) as f:
                log = f.read()
        self.assertEqual(r.returncode, 0, f"{r.stdout}\n{r.stderr}\n{log[-6000:]}")
        self.assertEqual(res["problems"], [])
        self.assertEqual(res["guest_steps_failed"], [])
        self.assertEqual(res["qmp_errors"], [])
        ok = res["guest_steps_ok"]
        # Every workload verified data at least once, and each disturbance
        # happened: the hot-replugged controller's data read back.
        for step in ("nvm", "conv", "zns", "kv", "ns5-after-attach", "reset", "replug",
                     "hp-after-replug"):
            self.assertGreaterEqual(ok.get(step, 0), 1, step)
        self.assertEqual(ok["replug"], 1)
        self.assertGreaterEqual(sum(res["host_actions"].values()), 5, res["host_actions"])


if __name__ == "__main__":
    unittest.main()
