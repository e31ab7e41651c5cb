"""Every error code the API and the portal can answer with has a Dutch text for the
portal's pages: the codes are found in the source (domain/, adapters/http/ and the UZI
certificate check), so a new code without a text fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from adapters.http.portal.texts import ERRORS_NL

ROOT = Path(__file__).resolve().parents[2]
ERROR_CLASSES = {"DomainError", "InvalidValue", "NotAllowed", "NotFound", "RuleViolation",
                 "Unauthenticated", "Unavailable", "ConfigurationError"}
# codes built at run time, with what fills them in
EXPANSIONS = {
    "invalid_{what}": ("reason", "practice_name", "manager_name"),
    "order_{self.status.value}": ("shipped", "cancelled"),
}


def _codes_in(source: str, expansions: dict[str, tuple[str, ...]]) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args:
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "_load" and len(node.args) > 2:  # the application's loads: not found
                code = node.args[2]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    found.add(code.value)
            first = node.args[0]
            if name not in ERROR_CLASSES:
                continue
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                if re.fullmatch(r"[a-z][a-z0-9_]+", first.value):
                    found.add(first.value)
            elif isinstance(first, ast.JoinedStr):
                pattern = "".join(v.value if isinstance(v, ast.Constant)
                                  else "{" + ast.unparse(v.value) + "}" for v in first.values)
                found |= {re.sub(r"\{[^}]+\}", filling, pattern)
                          for filling in expansions.get(pattern, ())}
        if isinstance(node, ast.ClassDef):  # value types: `code = "invalid_ura"`
            for item in node.body:
                if isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant) \
                        and any(getattr(t, "id", None) == "code" for t in item.targets):
                    found.add(item.value.value)
    return found


def api_codes() -> set[str]:
    codes: set[str] = set()
    files = [*ROOT.glob("domain/*.py"), *ROOT.glob("adapters/http/**/*.py")]
    for path in files:
        codes |= _codes_in(path.read_text(), EXPANSIONS)
    uzi = (ROOT / "adapters/pki/uzi.py").read_text()  # a refused login: certificate_<reason>
    reasons = set(re.findall(r'refuse\("([a-z_]+)"', uzi)) | _codes_in(uzi, {})
    codes |= {f"certificate_{reason}" for reason in reasons}
    errors = (ROOT / "adapters/http/errors.py").read_text()
    codes |= set(re.findall(r'\("([a-z_]+)", "', errors))  # 404, 405 and the like
    codes |= set(re.findall(r'error_response\(\d+, "([a-z_]+)"', errors))
    codes |= set(re.findall(r'_refuse\(send, \d+, "([a-z_]+)"', (
        ROOT / "adapters/http/limits.py").read_text()))
    codes.add("concurrent_modification")  # ConcurrencyConflict's own
    return codes


def test_every_code_the_api_can_answer_has_a_dutch_text():
    codes = api_codes()
    assert len(codes) >= 100  # the finder found them all, not a few
    missing = sorted(codes - set(ERRORS_NL))
    assert missing == []


def test_the_finder_sees_literal_built_and_value_type_codes():
    source = '''
class UziNumber:
    code = "invalid_uzi_number"
def f(what, self):
    raise RuleViolation("card_not_blank", "used")
    raise InvalidValue(f"invalid_{what}", "bad")
    raise NotAllowed("Not a code", "x")
'''
    assert _codes_in(source, {"invalid_{what}": ("reason",)}) == {
        "invalid_uzi_number", "card_not_blank", "invalid_reason"}


def test_the_texts_are_plain_dutch_sentences():
    for code, text in ERRORS_NL.items():
        assert text[0].isupper() and text.endswith("."), code
        assert "_" not in text and len(text) < 240, code
