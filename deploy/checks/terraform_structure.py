"""Structural checks of terraform/ that need no provider: what `terraform validate` would catch
between our own modules, from the parsed HCL (hcl2, the HCL2 parser checkov ships:
bc-python-hcl2, a fork of python-hcl2).

- every .tf file parses;
- every module has main.tf, variables.tf, outputs.tf, versions.tf and README.md;
- every variable has a type and a description; every output a description;
- versions.tf pins required_version and a version range for every required provider, and every
  provider a module's resources use is required there;
- every env calls all eight modules, from ../../modules/<name>, with remote state (backend s3);
- every module call passes only variables the module declares, and all that have no default;
- every `module.X.Y` reference names a called module X and an output Y it declares;
- every `var.X` in a module or env names a declared variable, every `local.X` a declared local.

`check(terraform_dir)` returns the problems found, as lines of text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

MODULES = ("vpc", "eks", "msk", "redis", "documentdb", "alb", "kms", "s3")
ENVS = ("dev", "prod")
MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")
META_ARGUMENTS = {"source", "version", "providers", "count", "for_each", "depends_on"}
REF = re.compile(r"\b(var|local|module)\.([A-Za-z_][A-Za-z0-9_-]*)(?:\.([A-Za-z_][A-Za-z0-9_-]*))?")


def _blocks(parsed: dict[str, Any], kind: str) -> dict[str, Any]:
    """All blocks of one kind (variable, output, module, locals) merged by name."""
    out: dict[str, Any] = {}
    for block in parsed.get(kind, []):
        out.update(block)
    return out


def _first(value: Any) -> Any:
    """bc-python-hcl2 wraps attribute values in one-element lists."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value


class Config:
    """One directory of .tf files (a module or an env), parsed."""

    def __init__(self, directory: Path, problems: list[str]) -> None:
        self.directory = directory
        self.files: dict[str, dict[str, Any]] = {}
        self.text = ""
        for path in sorted(directory.glob("*.tf")):
            text = path.read_text()
            self.text += "\n" + text
            try:
                self.files[path.name] = hcl2.loads(text)
            except Exception as exc:  # the parser's errors (lark's, hcl2's) share no base
                problems.append(f"{path}: does not parse: {exc}".splitlines()[0])

    def merged(self, kind: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for parsed in self.files.values():
            out.update(_blocks(parsed, kind))
        return out

    def locals(self) -> set[str]:
        names: set[str] = set()
        for parsed in self.files.values():
            for block in parsed.get("locals", []):
                names.update(k for k in block if not k.startswith("__"))
        return names

    def terraform_blocks(self) -> list[dict[str, Any]]:
        return [b for parsed in self.files.values() for b in parsed.get("terraform", [])]

    def resource_providers(self) -> set[str]:
        providers = set()
        for parsed in self.files.values():
            for kind in ("resource", "data"):
                for block in parsed.get(kind, []):
                    providers.update(name.split("_", 1)[0] for name in block)
        return providers


def _check_versions(config: Config, where: str, problems: list[str]) -> None:
    blocks = config.terraform_blocks()
    if not any("required_version" in b for b in blocks):
        problems.append(f"{where}: no required_version")
    required: dict[str, Any] = {}
    for block in blocks:
        for providers in block.get("required_providers", []):
            required.update(providers)
    for name, spec in required.items():
        spec = _first(spec)
        if not isinstance(spec, dict) or not spec.get("version") or not spec.get("source"):
            problems.append(f"{where}: provider {name} has no source and version range")
        elif not re.search(r"<|~>", str(spec["version"])):
            version = spec["version"]
            problems.append(f"{where}: provider {name} version {version!r} has no upper bound")
    for provider in config.resource_providers() - set(required):
        problems.append(f"{where}: uses provider {provider} without requiring it in versions.tf")


def _check_declarations(config: Config, where: str, problems: list[str]) -> None:
    for name, body in config.merged("variable").items():
        if name.startswith("__"):
            continue
        if "type" not in body:
            problems.append(f"{where}: variable {name} has no type")
        if not _first(body.get("description", "")):
            problems.append(f"{where}: variable {name} has no description")
    for name, body in config.merged("output").items():
        if not name.startswith("__") and not _first(body.get("description", "")):
            problems.append(f"{where}: output {name} has no description")


def _check_references(
    config: Config, where: str, outputs_of: dict[str, set[str]], calls: dict[str, str],
    problems: list[str],
) -> None:  # fmt: skip
    variables = {k for k in config.merged("variable") if not k.startswith("__")}
    local_names = config.locals()
    seen: set[tuple[str, ...]] = set()
    for kind, name, attr in REF.findall(config.text):
        key = (kind, name, attr)
        if key in seen:
            continue
        seen.add(key)
        if kind == "var" and name not in variables:
            problems.append(f"{where}: var.{name} is not declared")
        elif kind == "local" and name not in local_names:
            problems.append(f"{where}: local.{name} is not declared")
        elif kind == "module":
            if name not in calls:
                problems.append(f"{where}: module.{name} is not called here")
            elif attr and attr not in outputs_of.get(calls[name], set()):
                problems.append(f"{where}: module.{name}.{attr}: {calls[name]} has no such output")


def check(terraform: Path) -> list[str]:
    problems: list[str] = []
    modules: dict[str, Config] = {}
    for name in MODULES:
        directory = terraform / "modules" / name
        if not directory.is_dir():
            problems.append(f"modules/{name}: missing")
            continue
        for filename in MODULE_FILES:
            if not (directory / filename).is_file():
                problems.append(f"modules/{name}: no {filename}")
        config = Config(directory, problems)
        modules[name] = config
        _check_versions(config, f"modules/{name}", problems)
        _check_declarations(config, f"modules/{name}", problems)

    outputs_of = {
        name: {k for k in m.merged("output") if not k.startswith("__")}
        for name, m in modules.items()
    }
    for name, config in modules.items():
        _check_references(config, f"modules/{name}", outputs_of, {}, problems)

    for env in ENVS:
        directory = terraform / "envs" / env
        where = f"envs/{env}"
        if not directory.is_dir():
            problems.append(f"{where}: missing")
            continue
        for example in ("terraform.tfvars.example", "backend.hcl.example", "README.md"):
            if not (directory / example).is_file():
                problems.append(f"{where}: no {example}")
        config = Config(directory, problems)
        _check_versions(config, where, problems)
        _check_declarations(config, where, problems)
        if not any(
            "s3" in backend for b in config.terraform_blocks() for backend in b.get("backend", [])
        ):
            problems.append(f'{where}: no backend "s3" (remote state)')

        calls: dict[str, str] = {}
        for call_name, body in config.merged("module").items():
            if call_name.startswith("__"):
                continue
            source = str(_first(body.get("source", "")))
            target = source.rsplit("/", 1)[-1]
            if not source.startswith("../../modules/") or target not in modules:
                problems.append(f"{where}: module {call_name}: source {source!r} is not ours")
                continue
            calls[call_name] = target
            module_vars = modules[target].merged("variable")
            passed = {k for k in body if not k.startswith("__")} - META_ARGUMENTS
            for extra in sorted(passed - set(module_vars)):
                problems.append(
                    f"{where}: module {call_name} passes {extra}, which {target} does not declare"
                )
            for var_name, var_body in module_vars.items():
                if var_name.startswith("__"):
                    continue
                if "default" not in var_body and var_name not in passed:
                    problems.append(
                        f"{where}: module {call_name} does not pass required variable {var_name}"
                    )
        for missing in sorted(set(MODULES) - set(calls.values())):
            problems.append(f"{where}: does not call module {missing}")
        _check_references(config, where, outputs_of, calls, problems)
    return problems


__all__ = ["ENVS", "MODULES", "check"]
