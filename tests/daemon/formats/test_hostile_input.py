"""Hostile session files: every one is refused with a ParseError naming the file and a specific
reason, or (bad values, references outside the session) read with the damage reported, never
acted on.

Each read is also measured in a fresh subprocess (`measure`): the hostile file is generated here,
in the test process, and only `read_dawproject` runs inside the measured window. The subprocess
reports wall time (time.perf_counter), peak-RSS growth and what an audit hook saw during the read:
every `open` and every socket event, none of which may reach outside the session folder.

Peak RSS is VmHWM from /proc/self/status, falling back to ru_maxrss: Linux carries ru_maxrss across
exec, so in a child of a big pytest process it starts at pytest's own peak and shows no growth at
all (both are printed). Audit hooks only see Python-level I/O, so the XML cases also plant a FIFO
canary (libxml2 opening it would block the read until the subprocess times out) and a listening
socket (a connect from libxml2 would sit in its backlog).

Run with `-s` to see the measured numbers (one `[hostile]` line per read).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.errors import ParseError
from daemon.formats.dawproject import read_dawproject
from tests.daemon.formats import hostile_files as hf
from tests.paths import REPO

TIME_LIMIT_S = 1.0
MEMORY_LIMIT_KIB = 100 * 1024
SUBPROCESS_TIMEOUT_S = 20

# Runs in the measuring subprocess: argv = [path]. Warm up first (as a running
# daemon would be: imports, codecs, zipfile and hashlib paths), then record only the one read.
RUNNER = r"""
import json, os, resource, sys, tempfile, time, zipfile
from pathlib import Path

from daemon.errors import ParseError
from daemon.formats.dawproject import read_dawproject

path = Path(sys.argv[1])

WARM_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><Project version="1.0"><Structure><Track name="W" id="t">'
    '<Channel id="c"><Volume unit="linear" value="0.5" id="v"/><Devices><Vst3Plugin deviceName="P">'
    '<State path="s.bin"/></Vst3Plugin></Devices></Channel></Track></Structure>'
    '<Arrangement><Lanes timeUnit="beats"><Points unit="linear"><Target parameter="v"/>'
    '<RealPoint time="0" value="0.5"/><RealPoint time="1" value="NaN"/></Points>'
    '<Points unit="linear"><Target parameter="v"/><RealPoint time="0" value="0.5"/></Points></Lanes>'
    '</Arrangement></Project>'
)
with tempfile.TemporaryDirectory() as warm:
    w = Path(warm)
    (w / "warm.xml").write_text(WARM_XML)
    (w / "s.bin").write_bytes(b"state")
    (w / "bad.xml").write_bytes(b"<Project")
    with zipfile.ZipFile(w / "warm.dawproject", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.xml", WARM_XML)
        z.writestr("s.bin", b"state")
    read_dawproject(w / "warm.xml")
    read_dawproject(w / "warm.dawproject")
    try:
        read_dawproject(w / "bad.xml")
    except ParseError:
        pass

WATCHED = ("open", "socket.", "urllib.", "http.", "ftplib.", "subprocess.", "os.system", "os.exec", "os.posix_spawn")
events = []
recording = False

def hook(event, args):
    if not recording or not event.startswith(WATCHED):
        return
    if event == "open":
        target = args[0]
        if isinstance(target, int):
            events.append([event, f"<fd {target}>"])
        else:
            events.append([event, os.path.abspath(os.fsdecode(target))])
    elif event == "socket.connect":
        events.append([event, repr(args[1])])
    else:
        events.append([event, repr(args)[:200]])

def peak_rss_kib():
    # VmHWM is this process image's own peak RSS. ru_maxrss (KiB on Linux) is kept across exec,
    # so a child of a big pytest process starts with pytest's peak and would hide any growth.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]), "VmHWM"
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "ru_maxrss"

sys.addaudithook(hook)
result = {}
rss_before, rss_source = peak_rss_kib()
ru_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
recording = True
started = time.perf_counter()
try:
    session = read_dawproject(path)
except ParseError as exc:
    seconds = time.perf_counter() - started
    recording = False
    result.update(outcome="refused", error_type=type(exc).__name__, message=str(exc), reason=exc.reason)
except BaseException as exc:  # a crash is a finding: report it rather than dying
    seconds = time.perf_counter() - started
    recording = False
    result.update(outcome="crashed", error_type=type(exc).__name__, message=repr(exc)[:2000])
else:
    seconds = time.perf_counter() - started
    recording = False

    def track(t):
        return {
            "name": t.name,
            "volume_db": t.channel.volume_db,
            "devices": [
                {"name": d.name, "state_sha256": d.state_sha256, "params": [list(p) for p in d.params]}
                for d in t.devices
            ],
            "clips": [c.file for c in t.clips],
            "children": [track(c) for c in t.children],
        }

    result.update(outcome="read", problems=list(session.problems), tracks=[track(t) for t in session.tracks])
rss_after, _ = peak_rss_kib()
ru_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
result.update(
    seconds=seconds,
    rss_growth_kib=rss_after - rss_before,
    rss_source=rss_source,
    ru_maxrss_growth_kib=ru_after - ru_before,
    events=events,
)
print("RESULT " + json.dumps(result))
"""


class Hostile:
    """Reads a hostile file in a measuring subprocess and checks the bounds every case shares."""

    def __init__(self, label: str) -> None:
        self.label = label

    def measure(self, path: Path, folder: Path | None = None) -> dict:
        folder = (folder or path.parent).resolve()
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        proc: subprocess.CompletedProcess[str] | None
        try:
            proc = subprocess.run(
                [sys.executable, "-c", RUNNER, str(path)],
                capture_output=True,
                text=True,
                timeout=SUBPROCESS_TIMEOUT_S,
                env=env,
                cwd=str(folder),
            )
        except subprocess.TimeoutExpired:
            proc = None
        if proc is None:
            pytest.fail(
                f"reading {path.name} did not finish in {SUBPROCESS_TIMEOUT_S} s: hung "
                "(a parser blocked opening the FIFO canary, or looped)"
            )
        lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
        assert proc.returncode == 0 and lines, f"measuring subprocess failed:\n{proc.stdout}\n{proc.stderr}"
        result = json.loads(lines[-1].removeprefix("RESULT "))
        seconds, kib = result["seconds"], result["rss_growth_kib"]
        print(
            f"\n[hostile] {self.label + ' ' + path.name:<90} {seconds * 1000:8.1f} ms {kib / 1024:8.1f} MiB peak RSS growth "
            f"({result['rss_source']}; ru_maxrss {result['ru_maxrss_growth_kib'] / 1024:.1f} MiB)  {result['outcome']}"
        )

        assert result["outcome"] != "crashed", f"{path.name}: crashed instead of ParseError: {result['message']}"
        assert seconds < TIME_LIMIT_S, f"{path.name}: took {seconds:.2f} s (limit {TIME_LIMIT_S} s)"
        assert kib < MEMORY_LIMIT_KIB, f"{path.name}: peak RSS grew {kib / 1024:.0f} MiB (limit 100 MiB)"
        sockets = [e for e in result["events"] if not e[0].startswith("open")]
        assert not sockets, f"{path.name}: network/process activity during the read: {sockets}"
        outside = [
            p
            for event, p in result["events"]
            if event == "open" and not p.startswith("<fd") and not _inside(Path(p), folder)
        ]
        assert not outside, f"{path.name}: opened files outside the session folder {folder}: {outside}"
        return result

    def refused(self, path: Path, *keywords: str, folder: Path | None = None) -> ParseError:
        """Refused (in the subprocess, bounded, and here): ParseError naming the file, reason with keywords."""
        result = self.measure(path, folder)
        assert result["outcome"] == "refused", f"{path.name} was read, not refused: {result}"
        with pytest.raises(ParseError) as caught:
            read_dawproject(path)
        error = caught.value
        assert str(path) in str(error), str(error)
        assert error.path.startswith(str(path)), error.path
        for keyword in keywords:
            assert keyword in error.reason, f"{keyword!r} not in reason {error.reason!r}"
        assert result["message"] == str(error)
        return error

    def read(self, path: Path, folder: Path | None = None) -> dict:
        result = self.measure(path, folder)
        assert result["outcome"] == "read", f"{path.name} was refused: {result.get('message')}"
        return result


def _inside(path: Path, folder: Path) -> bool:
    resolved = path.resolve()
    return resolved == folder or folder in resolved.parents


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Hostile:
    return Hostile(request.node.name)


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    """The session's own folder, two levels below tmp_path so `../../x` lands in tmp_path."""
    folder = tmp_path / "sessions" / "song"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def fifo_canary(tmp_path: Path) -> Path:
    """A FIFO outside the session folder: opening it for reading blocks until a writer comes."""
    fifo = tmp_path / "canary.fifo"
    os.mkfifo(fifo)
    return fifo


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on an ephemeral loopback port; any connect lands in its backlog."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.setblocking(False)
    yield server
    server.close()


def _url(server: socket.socket, name: str) -> str:
    return f"http://127.0.0.1:{server.getsockname()[1]}/{name}"


def assert_no_connection(server: socket.socket) -> None:
    try:
        conn, addr = server.accept()
    except BlockingIOError:
        return
    conn.close()
    pytest.fail(f"something connected to the canary listener from {addr}")


def _place(session_dir: Path, container: str, xml: str | bytes) -> Path:
    """project.xml bare, or in a .dawproject: "archive" deflated, "stored" uncompressed (so an XML
    attack that also compresses well reaches the XML parser instead of the inflation-ratio check)."""
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    if container in ("archive", "stored"):
        return hf.dawproject(
            session_dir / "song.dawproject",
            [("project.xml", data), ("metadata.xml", "<MetaData/>")],
            deflate=container == "archive",
        )
    return hf.write_bytes(session_dir / "project.xml", data)


CONTAINERS = pytest.mark.parametrize("container", ["archive", "bare"])


# -- 1-4: DTDs and entities ------------------------------------------------------------------


@CONTAINERS
def test_billion_laughs_is_refused_naming_the_file(hostile: Hostile, session_dir: Path, container: str) -> None:
    path = _place(session_dir, container, hf.billion_laughs())
    error = hostile.refused(path, "DTD")
    if container == "archive":
        assert "project.xml" in str(error)


@CONTAINERS
def test_quadratic_blowup_is_refused_before_any_expansion(hostile: Hostile, session_dir: Path, container: str) -> None:
    xml = hf.quadratic_blowup(entity_bytes=50_000, references=10_000)
    assert len(xml) > 50_000 + 10_000 * len("&a;")  # ~500 MB if the parser expanded it
    hostile.refused(_place(session_dir, container, xml), "DTD")


def test_external_entity_to_a_local_file_is_refused_and_opens_nothing_outside_the_session(
    hostile: Hostile, session_dir: Path, fifo_canary: Path
) -> None:
    xml = hf.external_entity("file:///etc/passwd", fifo_canary.as_uri())
    for container in ("archive", "bare"):
        error = hostile.refused(_place(session_dir, container, xml), "DTD")
        assert "root:" not in str(error)


def test_external_entity_to_a_url_is_refused_and_connects_nowhere(
    hostile: Hostile, session_dir: Path, listener: socket.socket
) -> None:
    xml = hf.external_entity("http://127.0.0.1:9/x", _url(listener, "x"))
    for container in ("archive", "bare"):
        hostile.refused(_place(session_dir, container, xml), "DTD")
    assert_no_connection(listener)


def test_external_parameter_entity_is_refused_and_fetches_nothing(
    hostile: Hostile, session_dir: Path, listener: socket.socket, fifo_canary: Path
) -> None:
    xml = hf.external_parameter_entity("http://127.0.0.1:9/p.dtd", _url(listener, "p.dtd"), fifo_canary.as_uri())
    for container in ("archive", "bare"):
        hostile.refused(_place(session_dir, container, xml), "DTD")
    assert_no_connection(listener)


@pytest.mark.parametrize(
    "attack",
    ["parameter_entity_file", "external_dtd_subset", "entity_file_and_url", "billion_laughs", "quadratic_blowup"],
)
def test_dtd_hidden_by_utf7_encoding_is_refused_by_the_parser_without_loading_anything(
    hostile: Hostile, session_dir: Path, listener: socket.socket, fifo_canary: Path, attack: str
) -> None:
    # UTF-7 shifts the markup into base64, so the `<!DOCTYPE` byte check cannot see it: this
    # exercises the parser layer (no DTD loading, no entity resolution, no external loads).
    xml = {
        "parameter_entity_file": lambda: hf.external_parameter_entity(fifo_canary.as_uri()),
        "external_dtd_subset": lambda: hf.external_dtd_subset(fifo_canary.as_uri()),
        "entity_file_and_url": lambda: hf.external_entity(fifo_canary.as_uri(), _url(listener, "x")),
        "billion_laughs": hf.billion_laughs,
        "quadratic_blowup": hf.quadratic_blowup,
    }[attack]()
    data = hf.as_utf7(xml)
    assert b"<!DOCTYPE" not in data and b"<!ENTITY" not in data
    error = hostile.refused(_place(session_dir, "bare", data))
    assert any(word in error.reason for word in ("DTD", "entity", "external")), error.reason
    assert_no_connection(listener)


# -- 5-6: parser resource caps ---------------------------------------------------------------


@pytest.mark.parametrize("container", ["bare", "stored"])
def test_100000_deep_nesting_is_refused_at_the_parsers_depth_cap(
    hostile: Hostile, session_dir: Path, container: str
) -> None:
    hostile.refused(_place(session_dir, container, hf.deep_nesting(100_000)), "depth")


def test_groups_nested_just_under_the_depth_cap_read_without_recursion_error(
    hostile: Hostile, session_dir: Path
) -> None:
    # 252 nested group tracks is the deepest libxml2's cap of 256 lets through; the reader recurses
    # once per level (tracks and freezing), far below Python's recursion limit.
    result = hostile.read(_place(session_dir, "bare", hf.nested_groups(252)))
    depth, track = 0, result["tracks"][0]
    while True:
        depth += 1
        if not track["children"]:
            break
        track = track["children"][0]
    assert depth == 252


@pytest.mark.parametrize("where", ["attribute", "text"])
def test_20_mb_value_is_refused_at_the_parsers_size_cap(hostile: Hostile, session_dir: Path, where: str) -> None:
    data = hf.huge_attribute() if where == "attribute" else hf.huge_text()
    assert len(data) > 20 * 1024 * 1024
    hostile.refused(_place(session_dir, "bare", data), "limit exceeded")


# -- 7-11: ZIP archives ----------------------------------------------------------------------


def test_1000_to_1_zip_bomb_is_refused_before_inflating(
    hostile: Hostile, session_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = hf.dawproject(session_dir / "bomb.dawproject", [("project.xml", hf.padded_project(50 * 1024 * 1024))])
    info = zipfile.ZipFile(path).getinfo("project.xml")
    assert info.file_size / info.compress_size > 900

    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: str | zipfile.ZipInfo, *args: object, **kwargs: object) -> object:
        opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    error = hostile.refused(path, "zip bomb", "inflates")
    assert "project.xml" not in opened, "the bomb was opened for inflation"
    assert "project.xml" in error.reason


def test_member_understating_its_size_is_never_inflated_past_the_declared_size(
    hostile: Hostile, session_dir: Path
) -> None:
    # Declares 1,000 bytes (under the ratio grace) but deflates from 50 MB: reading must stop at
    # the declared size, so the XML arrives cut short (or the CRC fails), bounded either way.
    member = hf.Member("project.xml", hf.padded_project(50 * 1024 * 1024), deflate=True, declared_size=1_000)
    path = hf.raw_zip(session_dir / "liar.dawproject", [member])
    error = hostile.refused(path)
    assert "malformed XML" in error.reason or "cannot be read" in error.reason, error.reason


def test_zip_with_100000_entries_is_refused_before_indexing(hostile: Hostile, session_dir: Path) -> None:
    path = hf.raw_zip(session_dir / "many.dawproject", hf.many_entries(100_000))
    hostile.refused(path, "100,000 entries")


def test_zip_announcing_two_entries_but_holding_100000_is_refused_before_indexing(
    hostile: Hostile, session_dir: Path
) -> None:
    # zipfile walks the central directory by its byte size and ignores the announced count, so the
    # count in the end record alone cannot be trusted.
    path = hf.raw_zip(session_dir / "forged.dawproject", hf.many_entries(100_000), announce=2)
    hostile.refused(path, "entries")


@pytest.mark.parametrize("second", ["project.xml", "PROJECT.XML"])
def test_archive_holding_project_xml_twice_is_refused(hostile: Hostile, session_dir: Path, second: str) -> None:
    decoy = hf.MINIMAL_XML.replace("Kick", "Decoy")
    path = hf.dawproject(session_dir / "twice.dawproject", [("project.xml", hf.MINIMAL_XML), (second, decoy)])
    hostile.refused(path, "twice")


@pytest.mark.parametrize(
    ("name", "keyword"),
    [
        ("../evil.xml", "'..' component"),
        ("plugins/../../evil.xml", "'..' component"),
        ("..\\evil.xml", "'..' component"),
        ("/etc/x", "absolute path"),
        ("C:\\x", "absolute path"),
        ("C:/x", "absolute path"),
    ],
)
def test_member_names_escaping_the_archive_are_refused(
    hostile: Hostile, session_dir: Path, name: str, keyword: str
) -> None:
    path = hf.dawproject(session_dir / "escape.dawproject", [("project.xml", hf.MINIMAL_XML), (name, b"x")])
    assert name in zipfile.ZipFile(path).namelist()  # written as is, not sanitized
    error = hostile.refused(path, keyword)
    assert repr(name) in error.reason


@pytest.mark.parametrize("keep", ["half", "all_but_10_bytes"])
def test_truncated_archive_is_refused_as_incomplete(hostile: Hostile, session_dir: Path, keep: str) -> None:
    whole = hf.dawproject(
        session_dir / "whole.dawproject",
        [("project.xml", hf.MINIMAL_XML), ("audio/kick.wav", os.urandom(20_000)), ("metadata.xml", "<MetaData/>")],
    )
    read_dawproject(whole)  # the uncut archive is fine
    data = whole.read_bytes()
    cut = data[: len(data) // 2] if keep == "half" else data[:-10]
    path = hf.write_bytes(session_dir / "cut.dawproject", cut)
    hostile.refused(path, "truncated", "ZIP")


# -- 12: not a DAWproject 1.0 document -------------------------------------------------------


def test_html_root_is_refused_naming_the_root_element(hostile: Hostile, session_dir: Path) -> None:
    xml = hf.XML_DECL + '<html><body><Project version="1.0"/></body></html>'
    hostile.refused(_place(session_dir, "bare", xml), "root element", "<html>")


def test_namespaced_project_root_is_refused_naming_its_namespace(hostile: Hostile, session_dir: Path) -> None:
    xml = hf.MINIMAL_XML.replace('<Project version="1.0">', '<Project xmlns="urn:x" version="1.0">')
    hostile.refused(_place(session_dir, "archive", xml), "root element", "urn:x")


def test_project_without_version_is_refused(hostile: Hostile, session_dir: Path) -> None:
    xml = hf.MINIMAL_XML.replace('<Project version="1.0">', "<Project>")
    hostile.refused(_place(session_dir, "bare", xml), "no version")


def test_pre_1_0_json_archive_is_refused_as_pre_1_0(hostile: Hostile, session_dir: Path) -> None:
    path = hf.dawproject(
        session_dir / "old.dawproject",
        [("project.json", json.dumps({"tracks": []})), ("metadata.json", json.dumps({"title": "old"}))],
    )
    hostile.refused(path, "pre-1.0")


# -- 13: bad values are problems, not errors -------------------------------------------------

BAD_VALUES = {"Cutoff": "NaN", "Drive": "inf", "Floor": "-inf", "Huge": "1e999", "Word": "abc"}


def test_non_finite_and_junk_parameter_values_read_as_none_with_a_problem_each(
    hostile: Hostile, session_dir: Path
) -> None:
    params = "".join(f'<RealParameter name="{n}" value="{v}" id="p{n}"/>' for n, v in BAD_VALUES.items())
    xml = hf.MINIMAL_XML.replace(
        "</Channel>",
        '<Devices><Vst3Plugin deviceName="Synth" deviceID="x"><Parameters>'
        f'{params}<RealParameter name="Fine" value="0.25"/><IntegerParameter name="Steps" value="1e999"/>'
        "</Parameters></Vst3Plugin>"
        '<Compressor deviceName="Comp"><Threshold unit="decibel" value="-inf"/><Ratio value="4"/></Compressor>'
        "</Devices></Channel>",
    ).replace(
        "</Structure>",
        '</Structure><Arrangement><Lanes timeUnit="beats"><Points unit="linear"><Target parameter="v1"/>'
        '<RealPoint time="0" value="NaN"/><RealPoint time="1" value="0.5"/></Points></Lanes></Arrangement>',
    )
    path = _place(session_dir, "bare", xml)
    result = hostile.read(path)

    session = read_dawproject(path)
    assert [t.name for t in session.tracks] == ["Kick"]
    synth, comp = session.tracks[0].devices
    for name, raw in BAD_VALUES.items():
        assert synth.param(f"param.{name}") is None
        naming = [p for p in session.problems if f"parameter {name!r}" in p]
        assert len(naming) == 1, (name, session.problems)
        assert "'Kick'" in naming[0] and "'Synth'" in naming[0] and repr(raw) in naming[0]
    assert synth.param("param.Fine") == 0.25
    assert synth.param("param.Steps") is None
    assert any("parameter 'Steps'" in p for p in session.problems)
    assert comp.param("comp.threshold_db") is None and comp.param("comp.ratio") == 4.0
    assert any("'Comp'" in p and "comp.threshold_db" in p for p in session.problems)
    assert any("automation" in p and "1 point(s)" in p for p in session.problems)
    assert session.tracks[0].automation[0].points == ((1.0, pytest.approx(-6.0206, abs=1e-3)),)
    assert result["problems"] == list(session.problems)


def test_nan_volume_keeps_the_track_and_reports_a_problem(hostile: Hostile, session_dir: Path) -> None:
    xml = hf.MINIMAL_XML.replace('value="0.5"', 'value="NaN"')
    result = hostile.read(_place(session_dir, "archive", xml))
    assert [t["name"] for t in result["tracks"]] == ["Kick"]
    assert result["tracks"][0]["volume_db"] is None
    assert result["problems"] == ["track 'Kick' volume: value 'NaN' is not a finite number; ignored"]


# -- 14: references outside the session folder ----------------------------------------------


@CONTAINERS
def test_state_and_audio_references_outside_the_session_folder_are_never_opened(
    hostile: Hostile, tmp_path: Path, session_dir: Path, container: str
) -> None:
    secret = hf.write_bytes(tmp_path / "secret", b"TOP SECRET: not part of any session")
    assert (session_dir / "../../secret").resolve() == secret.resolve()
    inside = b"plug-in state that belongs to the session"
    devices = "".join(
        f'<Vst3Plugin deviceName="{name}" deviceID="{name}"><State path="{ref}" external="false"/></Vst3Plugin>'
        for name, ref in [
            ("Outside", "../../secret"),
            ("Backslash", "..\\..\\secret"),
            ("Absolute", str(secret)),
            ("Link", "plugins/link.state"),
            ("Inside", "plugins/ok.state"),
        ]
    )
    xml = hf.MINIMAL_XML.replace("</Channel>", f"<Devices>{devices}</Devices></Channel>").replace(
        "</Structure>",
        '</Structure><Arrangement><Lanes timeUnit="beats"><Lanes track="t1"><Clips>'
        '<Clip time="0" duration="4"><Audio duration="4" channels="2" sampleRate="48000">'
        '<File path="../../secret"/></Audio></Clip></Clips></Lanes></Lanes></Arrangement>',
    )
    if container == "archive":
        path = hf.dawproject(session_dir / "song.dawproject", [("project.xml", xml), ("plugins/ok.state", inside)])
    else:
        path = hf.write_bytes(session_dir / "project.xml", xml)
        hf.write_bytes(session_dir / "plugins" / "ok.state", inside)
    (session_dir / "plugins").mkdir(exist_ok=True)
    (session_dir / "plugins" / "link.state").symlink_to(secret)

    result = hostile.read(path)  # asserts no open outside session_dir during the read
    hashes = {d["name"]: d["state_sha256"] for d in result["tracks"][0]["devices"]}
    assert hashes["Outside"] is None
    assert hashes["Backslash"] is None
    assert hashes["Absolute"] is None
    assert hashes["Link"] is None
    assert hashes["Inside"] == hashlib.sha256(inside).hexdigest()  # the mechanism works
    assert result["tracks"][0]["clips"] == ["../../secret"]  # recorded as a name, never opened
    assert b"TOP SECRET" not in json.dumps(result).encode()
