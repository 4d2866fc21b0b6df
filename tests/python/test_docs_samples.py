"""Every code sample in docs/*.md (and README.md's shell samples) runs as written.

- ```python blocks run from the repository root (so example paths work), in order, the blocks of
  one page sharing one namespace; blocks written as a doctest (``>>>``) are checked as doctests.
- ```cpp blocks are compiled against the built library (an install of the CMake build in
  ``KHUYENHOC_BUILD_DIR``, default ``build/dev``) and run from a scratch directory holding
  ``examples/``. A block without ``main`` runs inside one, after the block's own ``#include``
  lines, with ``pool`` a generated pool of 1,000 nominees (``namespace kh = khuyenhoc``).
- ```sh / ```console blocks whose commands are all ``khuyenhoc ...`` run against the tool in a
  scratch directory holding ``examples/`` (``plan check`` may exit 1: it found something).
- ```yaml blocks must parse; ```text blocks (output shown) are not run.

A sample that cannot run (a synopsis, a fragment of a build script) is marked by an HTML
comment ``<!-- not-tested: reason -->`` on the line before it; the marked samples are listed by
``test_not_tested_samples_are_listed_with_reasons``. README.md's Python and C++ samples are run by
test_readme.py and the ctest consumer_find_package.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(
    r"^```([A-Za-z+]*)[^\n]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE
)
MARK = re.compile(r"<!--\s*not-tested:\s*(.*?)\s*-->\s*$")
# Covered elsewhere: README's Python (test_readme.py) and C++ (ctest consumer_find_package).
ELSEWHERE = {("README.md", "python"), ("README.md", "cpp")}


@dataclass
class Sample:
    page: str
    line: int
    lang: str
    code: str
    not_tested: str | None

    @property
    def name(self) -> str:
        return f"{self.page}:{self.line}"


def collect() -> list[Sample]:
    samples = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            lang = m.group(1).lower()
            line = text.count("\n", 0, m.start()) + 1
            before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
            mark = MARK.search(before)
            samples.append(
                Sample(
                    page.name, line, lang, m.group(2), mark.group(1) if mark else None
                )
            )
    return samples


SAMPLES = collect()


def of(lang: str | tuple[str, ...]) -> list[Sample]:
    langs = (lang,) if isinstance(lang, str) else lang
    return [
        s
        for s in SAMPLES
        if s.lang in langs
        and s.not_tested is None
        and (s.page, s.lang) not in ELSEWHERE
    ]


def test_not_tested_samples_are_listed_with_reasons() -> None:
    marked = [s for s in SAMPLES if s.not_tested is not None]
    for s in marked:
        assert len(s.not_tested or "") >= 10, (
            f"{s.name}: give a reason after not-tested:"
        )
    print(f"\n{len(marked)} samples marked not-tested:")
    for s in marked:
        print(f"  {s.name} ({s.lang}): {s.not_tested}")
    counts = {
        lang: len(of(lang)) for lang in ("python", "cpp", "sh", "console", "yaml")
    }
    print("samples run:", counts)
    assert counts["python"] and counts["cpp"] and counts["sh"], (
        "the sample collector broke"
    )
    # ```text blocks show output; they are not code.
    # ```c blocks (docs/c_api.md) are compiled and run by test_c_api.py.
    known = {"python", "cpp", "c", "sh", "console", "yaml", "cmake", "text", ""}
    unknown = {s.lang for s in SAMPLES} - known
    assert not unknown, f"samples in languages the test does not know: {unknown}"
    for s in SAMPLES:
        if s.lang == "cmake" and s.not_tested is None:
            pytest.fail(
                f"{s.name}: a ```{s.lang} block cannot be run; mark it not-tested"
            )


# --- Python -------------------------------------------------------------------------------

PY_PAGES = sorted({s.page for s in of("python")})

RUNNER = r"""
import doctest, sys, traceback
blocks = {blocks!r}
ns = {{"__name__": "__docs__"}}
for line, code in blocks:
    if code.lstrip().startswith(">>>"):
        parser = doctest.DocTestParser()
        test = parser.get_doctest(code, ns, "{page}:%d" % line, "{page}", line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, out=sys.stderr.write)
        ns.update(test.globs)
        if runner.failures:
            sys.exit("doctest failed in {page}:%d" % line)
    else:
        try:
            exec(compile(code, "{page}:%d" % line, "exec"), ns)
        except BaseException:
            traceback.print_exc()
            sys.exit("sample failed: {page}:%d" % line)
"""


@pytest.mark.parametrize("page", PY_PAGES)
def test_python_samples(page: str) -> None:
    blocks = [(s.line, s.code) for s in of("python") if s.page == page]
    script = RUNNER.format(blocks=blocks, page=page)
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-6000:]


# --- the command-line tool and C++ ----------------------------------------------------------


def build_dir() -> Path:
    return ROOT / os.environ.get(
        "KHUYENHOC_BUILD_DIR", "build/dev"
    )  # relative to the root


def khuyenhoc_tool() -> str | None:
    built = build_dir() / "src" / "khuyenhoc"
    if built.is_file():
        return str(built)
    return shutil.which("khuyenhoc")


def scratch_with_examples(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "examples").symlink_to(ROOT / "examples")
    return work


def shell_commands(code: str) -> list[str]:
    """The commands of a shell block, continuation lines joined, comments and prompts dropped."""
    lines = []
    for raw in code.replace("\\\n", " ").splitlines():
        line = raw.strip()
        line = line.removeprefix("$ ")
        if not line or line.startswith("#"):
            continue
        lines.append(re.sub(r"\s+#.*$", "", line))
    return lines


SH = of(("sh", "console"))


@pytest.mark.parametrize("sample", SH, ids=[s.name for s in SH])
def test_shell_samples(sample: Sample, tmp_path: Path) -> None:
    commands = shell_commands(sample.code)
    others = [c for c in commands if not c.startswith("khuyenhoc ")]
    assert not others, (
        f"{sample.name} runs {others[0]!r}: only khuyenhoc commands are run; "
        "mark the block <!-- not-tested: reason --> if it cannot run"
    )
    tool = khuyenhoc_tool()
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("the khuyenhoc tool is not built or installed")
        pytest.skip("the khuyenhoc tool is not built or installed")
    work = scratch_with_examples(tmp_path)
    for command in commands:
        r = subprocess.run(
            ["bash", "-c", command],
            cwd=work,
            capture_output=True,
            text=True,
            env=dict(
                os.environ, PATH=f"{Path(tool).parent}{os.pathsep}{os.environ['PATH']}"
            ),
        )
        ok = {0, 1} if " plan check " in f" {command} " else {0}
        assert r.returncode in ok, (
            f"{sample.name}: {command}\n{r.stdout[-2000:]}{r.stderr[-3000:]}"
        )


CPP = of("cpp")

# One executable per sample; the first compiles the umbrella header once and the others reuse it.
PROJECT = """cmake_minimum_required(VERSION 3.25)
project(khuyenhoc_doc_samples LANGUAGES CXX)
find_package(khuyenhoc CONFIG REQUIRED)
file(GLOB samples RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/sample_*.cpp)
list(SORT samples)
set(first "")
foreach(source IN LISTS samples)
  get_filename_component(name ${source} NAME_WE)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE khuyenhoc::khuyenhoc)
  if(first STREQUAL "")
    target_precompile_headers(${name} PRIVATE <khuyenhoc/khuyenhoc.hpp> <iostream>)
    set(first ${name})
  else()
    target_precompile_headers(${name} REUSE_FROM ${first})
  endif()
endforeach()
"""


def cpp_source(code: str) -> str:
    """A whole program: the block itself if it has main, else the block inside one."""
    if re.search(r"\bint\s+main\s*\(", code):
        return code
    includes = [ln for ln in code.splitlines() if ln.startswith("#include")]
    rest = "\n".join(ln for ln in code.splitlines() if not ln.startswith("#include"))
    return (
        "\n".join(
            ["#include <khuyenhoc/khuyenhoc.hpp>", "#include <iostream>", *includes]
        )
        + "\nint main() {\n  namespace kh = khuyenhoc;\n"
        + "  const khuyenhoc::pool pool = khuyenhoc::generate_pool(1000, {.seed = 1});\n"
        + textwrap.indent(rest, "  ")
        + "\n}\n"
    )


@pytest.fixture(scope="module")
def cpp_samples_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build = build_dir()
    if not (build / "CMakeCache.txt").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"no CMake build in {build} to compile the C++ samples against")
        pytest.skip(f"no CMake build in {build} (set KHUYENHOC_BUILD_DIR)")
    work = tmp_path_factory.mktemp("cpp_samples")
    prefix = work / "prefix"
    subprocess.run(
        ["cmake", "--install", str(build), "--prefix", str(prefix)],
        check=True,
        capture_output=True,
    )
    src = work / "src"
    src.mkdir()
    for i, s in enumerate(CPP):
        (src / f"sample_{i:03d}.cpp").write_text(f"// {s.name}\n" + cpp_source(s.code))
    (src / "CMakeLists.txt").write_text(PROJECT)
    cfg = subprocess.run(
        ["cmake", "-S", str(src), "-B", str(work / "build"), "-G", "Ninja",
         "-DCMAKE_BUILD_TYPE=Release", f"-DCMAKE_PREFIX_PATH={prefix}"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert cfg.returncode == 0, cfg.stdout + cfg.stderr
    b = subprocess.run(
        ["cmake", "--build", str(work / "build"), "-j", "2"],
        capture_output=True,
        text=True,
    )
    assert b.returncode == 0, b.stdout[-8000:] + b.stderr[-4000:]
    return work / "build"


@pytest.mark.parametrize("index", range(len(CPP)), ids=[s.name for s in CPP])
def test_cpp_samples(index: int, cpp_samples_binary: Path, tmp_path: Path) -> None:
    work = scratch_with_examples(tmp_path)
    r = subprocess.run(
        [str(cpp_samples_binary / f"sample_{index:03d}")],
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, f"{CPP[index].name}\n{r.stdout[-3000:]}{r.stderr[-3000:]}"


YAML = of("yaml")


@pytest.mark.parametrize("sample", YAML, ids=[s.name for s in YAML])
def test_yaml_samples_parse(sample: Sample) -> None:
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(sample.code) is not None
