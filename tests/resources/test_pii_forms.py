"""PII in the forms people and tickets write it: spaced, dotted and defanged; spelled out; any case; across lines."""

import pytest

from resources.safety.pii import find


@pytest.mark.parametrize("text, kind, value", [
    ("ssn: 318.44.9021", "ssn", "318.44.9021"),
    ("SSN#: 245 - 67 - 1093", "ssn", "245 - 67 - 1093"),
    ("the ssn they asked for: 7 1 2 - 4 4 - 0 9 8 1", "ssn", "7 1 2 - 4 4 - 0 9 8 1"),
    ("blocked 192[.]168[.]1[.]1 after 5 failed logins", "ip", "192[.]168[.]1[.]1"),
    ("gateway is 10 . 0 . 0 . 1", "ip", "10 . 0 . 0 . 1"),
    ("connect to 192 dot 168 dot 0 dot 12 on port 22", "ip", "192 dot 168 dot 0 dot 12"),
    ("login from 2001[:]db8[:]:1", "ip", "2001[:]db8[:]:1"),
    ("write to jane dot doe at example dot com", "email", "jane dot doe at example dot com"),
    ("contact: jane(at)example(dot)com", "email", "jane(at)example(dot)com"),
    ("contact: ben[@]startup[.]io", "email", "ben[@]startup[.]io"),
    ("mon mail : marie.l arobase orange point fr", "email", "marie.l arobase orange point fr"),
    ("email anna.schmidt @ web . de", "email", "anna.schmidt @ web . de"),
    ("regards,\njohn smith", "person", "john smith"),
    ("NAME: MARIA GARCIA", "person", "MARIA GARCIA"),
    ("Best,\nLukas\nBauer", "person", "Lukas\nBauer"),
    ("the parcel is for MRS. HELEN O'CONNOR", "person", "HELEN O'CONNOR"),
    ("ul. Marszałkowska 84/92\n00-514 Warszawa", "address", "Marszałkowska 84/92\n00-514 Warszawa"),
    ("STORGATAN 7, 111 22 STOCKHOLM", "address", "STORGATAN 7, 111 22 STOCKHOLM"),
])
def test_obfuscated_and_any_case_forms_are_found(text, kind, value):
    start = text.index(value)
    assert any(f.type == kind and f.start < start + len(value) and start < f.end for f in find(text)), find(text)


@pytest.mark.parametrize("text", [
    "tracking 1Z 999 AA1 01 2345 6784", "size chart: 36 / 38 / 40 / 42", "Carton 1 of 3, pallet 07-44-1290",
    "batch 10 . 5 . 2 ready for packing", "Best regards, Customer Service Team", "firmware 4.12.0.7 fixed it",
    "We met at the shop, dot on time", "this is blue velvet, size M",
])
def test_lookalikes_are_not_flagged(text):
    assert find(text) == []


def test_field_labels_in_running_text_are_not_name_cues():
    """'from' and 'customer' cue a name as labels ("From: anna weber"), not in prose: a product description
    ("beans from small farms") is not a person (a false positive the demo's catalog check once failed on)."""
    from resources.safety.pii import find

    assert find("Washed Caturra and Castillo from small farms in Huila. Medium roast.") == []
    assert find("customer reviews praise its crema") == []
    assert [f.type for f in find("From: anna weber")] == ["person"]
    assert [f.type for f in find("a note from anna weber")] == ["person"]
