"""Two nodes in network namespaces of their own, joined by a veth pair that a test can cut.

Each node's ``acsa serve`` runs inside its namespace (``ip netns exec``) over its own SQLite
file and key, and reaches its partner only over the node link (10.77.0.1 <-> 10.77.0.2). The
test itself reaches each server over a control link of its own (10.78.N.1 <-> 10.78.N.2), which
stays up when the node link is cut: ``link_down()`` takes the node link's interface down, as a
cable pulled out, and ``link_up()`` puts it back. Made and removed by the test; needs root.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

IP = shutil.which("ip") or "/usr/sbin/ip"
PORT = 8000


def ip(*args: str) -> None:
    done = subprocess.run([IP, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")


def namespaces_available() -> str:
    """ "" when this machine lets the test make namespaces, else why not."""
    if not os.path.exists(IP):
        return "no `ip` command"
    if os.geteuid() != 0:
        return "not root"
    probe = f"acsa-probe-{os.getpid()}"
    try:
        ip("netns", "add", probe)
    except RuntimeError as error:
        return str(error)
    ip("netns", "del", probe)
    return ""


@dataclass
class NsServer:
    """``acsa serve`` inside namespace ``ns``."""

    ns: str
    db_url: str
    key_file: Path
    control: str  # the address the test reaches it at
    log: Path
    process: subprocess.Popen[bytes] | None = None

    #: Every address of its namespace: the node link and the control link.
    listen = ("--host", "0.0.0.0", "--port", str(PORT))  # noqa: S104 - inside its namespace

    @property
    def base(self) -> str:
        return f"http://{self.control}:{PORT}"

    def start(self) -> None:
        acsa = str(Path(sys.executable).parent / "acsa")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ACSA_")},
            "ACSA_NODE_KEY": str(self.key_file),
            # A partner that cannot be reached is tried again within a second or two.
            "ACSA_COURIER_MAX_BACKOFF": "1",
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [IP, "netns", "exec", self.ns, acsa, "serve", "--db", self.db_url, *self.listen],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"acsa serve in {self.ns} did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)


@dataclass
class Link:
    """The node link between the two namespaces."""

    ns: str
    device: str

    def down(self) -> None:
        ip("-n", self.ns, "link", "set", self.device, "down")

    def up(self) -> None:
        ip("-n", self.ns, "link", "set", self.device, "up")


@dataclass(frozen=True)
class Namespaces:
    names: tuple[str, str]
    #: Where each node is reached by its partner (over the node link), and by the test.
    link_address: tuple[str, str]
    control_address: tuple[str, str]
    link: Link


@contextmanager
def two_namespaces() -> Iterator[Namespaces]:
    """Two namespaces, a node link between them and a control link to each, removed after."""
    tag = f"{os.getpid() % 100000}"
    names = (f"acsa-a{tag}", f"acsa-b{tag}")
    node_link = (f"na{tag}", f"nb{tag}")
    control = ((f"ca{tag}", f"ha{tag}"), (f"cb{tag}", f"hb{tag}"))
    with ExitStack() as undo:
        for name in names:
            ip("netns", "add", name)
            undo.callback(ip, "netns", "del", name)
            ip("-n", name, "link", "set", "lo", "up")
        ip("link", "add", node_link[0], "type", "veth", "peer", "name", node_link[1])
        for index, (name, device) in enumerate(zip(names, node_link, strict=True)):
            ip("link", "set", device, "netns", name)
            ip("-n", name, "addr", "add", f"10.77.0.{index + 1}/30", "dev", device)
            ip("-n", name, "link", "set", device, "up")
        for index, (name, (inside, outside)) in enumerate(zip(names, control, strict=True)):
            ip("link", "add", inside, "type", "veth", "peer", "name", outside)
            undo.callback(_quietly, "link", "del", outside)
            ip("link", "set", inside, "netns", name)
            ip("addr", "add", f"10.78.{index + 1}.1/30", "dev", outside)
            ip("link", "set", outside, "up")
            ip("-n", name, "addr", "add", f"10.78.{index + 1}.2/30", "dev", inside)
            ip("-n", name, "link", "set", inside, "up")
        yield Namespaces(
            names,
            ("10.77.0.1", "10.77.0.2"),
            ("10.78.1.2", "10.78.2.2"),
            Link(names[0], node_link[0]),
        )


def _quietly(*args: str) -> None:
    subprocess.run([IP, *args], capture_output=True, check=False)
