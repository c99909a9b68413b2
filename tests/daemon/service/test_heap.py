"""The service hands the pages a large session's XML tree took back to the system."""

from __future__ import annotations

import subprocess
import sys

import pytest

from daemon.service import heap
from tests.paths import REPO

# A tree of 200,000 elements (about 180 MB in libxml2), with Python objects made while it lives
# (as a reader makes a session's), then freed: the RSS before and after give_back().
MEASURE = """
import gc
from lxml import etree
from daemon.service import heap

def rss_mb():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS:")).split()[1]) // 1024

xml = b"<Points>" + b"".join(b'<RealPoint time="%d" value="0.5" interpolation="linear"/>' % i for i in range(200000)) + b"</Points>"
tree = etree.fromstring(xml)
kept = [(float(p.get("time")), float(p.get("value"))) for p in tree]
del tree, xml
gc.collect()
before = rss_mb()
heap.give_back()
print(before, rss_mb(), len(kept))
"""


@pytest.mark.skipif(heap._TRIM is None, reason="the C library has no malloc_trim (not glibc)")
def test_give_back_returns_a_freed_xml_trees_pages_to_the_system() -> None:
    result = subprocess.run([sys.executable, "-c", MEASURE], cwd=REPO, capture_output=True, text=True, check=True)
    before, after, kept = (int(x) for x in result.stdout.split())
    assert kept == 200000
    assert after < before - 50, (before, after)


def test_the_heap_is_given_back_once_per_pause_in_the_work() -> None:
    now = [0.0]
    idle = heap.WhenIdle(after_s=60.0, clock=lambda: now[0])
    assert not idle.tick()  # no work yet
    idle.worked()
    now[0] = 59.0
    assert not idle.tick()  # still working, as far as it knows
    now[0] = 61.0
    assert idle.tick()
    now[0] = 200.0
    assert not idle.tick()  # once per pause
    idle.worked()
    now[0] = 300.0
    assert idle.tick()
