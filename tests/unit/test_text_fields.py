"""Text with NUL characters (pasted, or from a broken file) is stored without them on both engines."""

from tuicrm.model import Note, Person
from tuicrm.services import contacts, notes


def test_nul_characters_are_dropped_not_fatal(actor):
    pid = contacts.create_person(actor, full_name="Ива\x00нов Пётр", position="бух\x00галтер", phones=["8 916 123\x00-45-67"])
    person = Person.get_by_id(pid)
    assert person.full_name == "Иванов Пётр"
    assert person.position == "бухгалтер"
    nid = notes.add_note(actor, "a\x00b", person_id=pid)
    assert Note.get_by_id(nid).text == "ab"
