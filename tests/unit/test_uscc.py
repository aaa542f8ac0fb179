from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.uscc import ALPHABET, check_character, complete_code, validate_code

body = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


def test_the_check_character_follows_gb_32100_weights() -> None:
    # Worked example: weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28 over "91350100M000100Y4"
    assert check_character("91350100M000100Y4") == "3"  # 913501 00M000100Y 43 is a published code
    assert validate_code("91350100M000100Y43") == "91350100M000100Y43"


def test_lowercase_and_spaces_are_normalised() -> None:
    code = complete_code("51340711MJ0000001")
    assert validate_code(f"  {code.lower()} ") == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [("5134071", "uscc.length"), ("51340711MJ000000I1", "uscc.alphabet"), ("51340711MJ00000010", "uscc.check")],
)
def test_bad_codes_say_what_is_wrong(raw: str, code: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        validate_code(raw)
    assert caught.value.code == code
    assert caught.value.message_zh and caught.value.message_en


@given(body)
def test_a_completed_code_always_validates(first17: str) -> None:
    assert validate_code(complete_code(first17)) == complete_code(first17)


@given(body, st.integers(0, 16), st.sampled_from(ALPHABET))
def test_changing_one_character_breaks_the_check(first17: str, position: int, replacement: str) -> None:
    code = complete_code(first17)
    changed = code[:position] + replacement + code[position + 1 :]
    if changed != code:
        with pytest.raises(InvalidValue):
            validate_code(changed)
