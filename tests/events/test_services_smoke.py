from events.services import get_public_event


def test_create_and_read_event(make_event):
    event = make_event()
    assert event.slug == "sysselsattningskrav-i-praktiken"
    assert get_public_event(event.slug).target_group_codes == ["contracting_authority", "supplier"]
