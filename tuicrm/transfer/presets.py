"""Column layouts of common exports (built in) and the user's saved mappings (ImportPreset rows).

A preset maps header texts to fields; headers are compared with ``mapping.header_key``, so case,
spaces and punctuation do not matter. Columns a preset does not name fall back to recognition.
"""

from __future__ import annotations

import json

from tuicrm.db.connection import write_tx
from tuicrm.model import ImportPreset, utcnow
from tuicrm.services.base import ValidationError
from tuicrm.transfer.mapping import FIELD_BY_CODE, auto_mapping, header_key, mapping_from_dict, mapping_to_dict

BUILTIN: dict[str, dict[str, str]] = {
    # amoCRM (ru) contacts/companies export
    "amocrm": {
        "ID": "", "Полное имя контакта": "full_name", "Имя": "first_name", "Фамилия": "last_name",
        "Компания": "company", "Должность": "position", "Ответственный": "owner", "Теги": "tags",
        "Рабочий телефон": "phone_work", "Мобильный телефон": "phone_mobile", "Домашний телефон": "phone_home",
        "Другой телефон": "phone", "Факс": "phone_fax", "Рабочий email": "email", "Личный email": "email",
        "Другой email": "email", "Примечание": "note", "Примечание 1": "note", "Дата создания": "", "Кем создан": "",
        "Название сделки": "deal_title", "Бюджет": "deal_amount", "Этап сделки": "deal_stage",
        "Web": "site", "Адрес": "address",
    },
    # Kommo (amoCRM international) export
    "kommo": {
        "ID": "", "Full name": "full_name", "First name": "first_name", "Last name": "last_name",
        "Company": "company", "Position": "position", "Responsible user": "owner", "Tags": "tags",
        "Work phone": "phone_work", "Mobile phone": "phone_mobile", "Home phone": "phone_home", "Other phone": "phone",
        "Work email": "email", "Personal email": "email", "Other email": "email", "Note": "note",
        "Lead title": "deal_title", "Sale": "deal_amount", "Stage": "deal_stage", "Date created": "", "Created by": "",
    },
    # Bitrix24 CRM contacts export (CSV/Excel)
    "bitrix24": {
        "ID": "", "Обращение": "", "Имя": "first_name", "Отчество": "middle_name", "Фамилия": "last_name",
        "Дата рождения": "birthday", "Должность": "position", "Компания": "company",
        "Рабочий телефон": "phone_work", "Мобильный телефон": "phone_mobile", "Номер факса": "phone_fax",
        "Домашний телефон": "phone_home", "Другой телефон": "phone", "Рабочий e-mail": "email",
        "Частный e-mail": "email", "Другой e-mail": "email", "Корпоративный сайт": "site", "Адрес": "address",
        "Ответственный": "owner", "Источник": "source", "Комментарий": "note", "Тип контакта": "",
        "Дата создания": "", "Дата изменения": "", "Кем создан": "", "Кем изменён": "",
    },
    # 1C:Enterprise counterparties list saved to Excel
    "1c": {
        "Наименование": "company", "Полное наименование": "", "ИНН": "inn", "КПП": "kpp",
        "Юридический адрес": "address", "Фактический адрес": "", "Телефон": "company_phone",
        "Электронная почта": "company_email", "Email": "company_email", "Контактное лицо": "full_name",
        "Должность контактного лица": "position", "Основной менеджер": "owner", "Комментарий": "note",
        "Код": "", "Вид контрагента": "", "Группа": "tags",
    },
    # Outlook CSV export, English
    "outlook": {
        "Title": "", "First Name": "first_name", "Middle Name": "middle_name", "Last Name": "last_name", "Suffix": "",
        "Company": "company", "Department": "", "Job Title": "position", "Business Street": "address",
        "Business Phone": "phone_work", "Business Phone 2": "phone_work", "Business Fax": "phone_fax",
        "Home Phone": "phone_home", "Mobile Phone": "phone_mobile", "Other Phone": "phone",
        "E-mail Address": "email", "E-mail 2 Address": "email", "E-mail 3 Address": "email",
        "Birthday": "birthday", "Notes": "note", "Categories": "tags", "Web Page": "site",
        "E-mail Display Name": "", "E-mail Type": "",
    },
    # Outlook CSV export, Russian
    "outlook-ru": {
        "Обращение": "", "Имя": "first_name", "Отчество": "middle_name", "Фамилия": "last_name", "Суффикс": "",
        "Организация": "company", "Отдел": "", "Должность": "position", "Улица (раб. адрес)": "address",
        "Рабочий телефон": "phone_work", "Телефон раб. 2": "phone_work", "Факс раб.": "phone_fax",
        "Домашний телефон": "phone_home", "Телефон дом. 2": "phone_home", "Телефон переносной": "phone_mobile",
        "Другой телефон": "phone", "Адрес эл. почты": "email", "Адрес 2 эл. почты": "email",
        "День рождения": "birthday", "Заметки": "note", "Категории": "tags", "Веб-страница": "site",
    },
    # Google Contacts CSV export (current layout; the older one is recognized by the aliases)
    "google": {
        "First Name": "first_name", "Middle Name": "middle_name", "Last Name": "last_name", "Name Prefix": "",
        "Name Suffix": "", "Nickname": "", "Birthday": "birthday", "Notes": "note", "Labels": "tags",
        "Organization Name": "company", "Organization Title": "position", "Organization Department": "",
        "E-mail 1 - Label": "", "E-mail 1 - Value": "email", "E-mail 2 - Label": "", "E-mail 2 - Value": "email",
        "Phone 1 - Label": "", "Phone 1 - Value": "phone", "Phone 2 - Label": "", "Phone 2 - Value": "phone",
        "Phone 3 - Value": "phone", "Address 1 - Formatted": "address", "Website 1 - Value": "site",
        "Website 1 - Label": "", "Name": "full_name", "Given Name": "first_name", "Family Name": "last_name",
        "Additional Name": "middle_name", "Group Membership": "tags", "Organization 1 - Name": "company",
        "Organization 1 - Title": "position", "E-mail 1 - Type": "", "Phone 1 - Type": "", "Phone 2 - Type": "",
    },
}
BUILTIN_TITLES = {
    "amocrm": "amoCRM", "kommo": "Kommo", "bitrix24": "Bitrix24", "1c": "1C", "outlook": "Outlook",
    "outlook-ru": "Outlook (рус.)", "google": "Google Contacts",
}


def detect(headers: list[str]) -> str | None:
    """The built-in preset whose layout the headers follow (≥ 60 % of the named columns, ≥ 4)."""
    keys = {header_key(h) for h in headers if h}
    best, best_score = None, 0.0
    for name, layout in BUILTIN.items():
        lkeys = {header_key(h) for h in layout}
        hits = len(keys & lkeys)
        if hits < 4:
            continue
        score = hits / max(1, len(keys))
        if score > best_score:
            best, best_score = name, score
    return best if best_score >= 0.6 else None


def saved_names() -> list[str]:
    return [n for (n,) in ImportPreset.select(ImportPreset.name).order_by(ImportPreset.name).tuples()]


def load(name: str) -> dict[str, str]:
    key = name.strip().lower()
    if key in BUILTIN:
        return BUILTIN[key]
    row = ImportPreset.get_or_none(ImportPreset.name == name.strip())
    if row is None:
        known = ", ".join(list(BUILTIN) + saved_names())
        raise ValidationError(f"no import preset {name!r}; known: {known}", "preset")
    return json.loads(row.mapping)


def apply(name: str, headers: list[str]) -> list[str]:
    """The mapping of a preset over these headers; unnamed columns are recognized as usual."""
    return mapping_from_dict(headers, load(name), fallback=auto_mapping(headers))


def save(name: str, headers: list[str], mapping: list[str]) -> None:
    name = name.strip()
    if not name:
        raise ValidationError("a preset needs a name", "name")
    if name.lower() in BUILTIN:
        raise ValidationError(f"{name!r} is a built-in preset; choose another name", "name")
    bad = [c for c in mapping if c and c not in FIELD_BY_CODE]
    if bad:
        raise ValidationError(f"unknown fields: {', '.join(bad)}", "mapping")
    text = json.dumps(mapping_to_dict(headers, mapping), ensure_ascii=False)
    with write_tx():
        n = (ImportPreset.update(mapping=text, updated_at=utcnow(), row_version=ImportPreset.row_version + 1)
             .where(ImportPreset.name == name).execute())
        if not n:
            ImportPreset.create(name=name, mapping=text)
