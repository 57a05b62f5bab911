"""vivarium.tomltext: machine keys as test-file text, for the machines a script makes (the
networks of vivarium.stateful, add_machine); the loader then checks them as it checks a test
file, with the same messages."""

import json as _json


def value(v):
    """A Python value as a TOML value: bool, number, string, list or dict."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return _json.dumps(v)  # a TOML basic string for every str JSON escapes
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(value(item) for item in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_json.dumps(str(k))} = {value(item)}" for k, item in v.items()) + " }"
    raise TypeError(f"a machine key's value must be a bool, number, string, list or dict, not {v!r}")


def keys(machine_keys):
    """{test-file key: value} as the lines of a [machines.NAME] table."""
    return "".join(f"{key} = {value(v)}\n" for key, v in machine_keys.items())


def network(machines):
    """A network ({machine name: {test-file key: value}}) as test-file text."""
    return "".join(f"[machines.{name}]\n{keys(machine_keys)}" for name, machine_keys in machines.items())
