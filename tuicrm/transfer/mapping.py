"""Which column holds what: target fields, header recognition (ru/en), mapping parsing.

A *mapping* is a list with one field code per column ("" = ignore the column). Header texts are
compared after ``header_key``: casefolded, ё→е, punctuation and spaces dropped, so "E-mail",
"e mail" and "Email:" are one thing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from tuicrm.i18n import N_, _


@dataclass(frozen=True)
class Field:
    code: str
    label: str  # English, translated where shown
    entity: str  # person / company / deal / row
    multi: bool = False  # several columns may map to it (phones, emails, tags, notes)


FIELDS: list[Field] = [
    Field("full_name", N_("Person: full name"), "person"),
    Field("last_name", N_("Person: last name"), "person"),
    Field("first_name", N_("Person: first name"), "person"),
    Field("middle_name", N_("Person: middle name"), "person"),
    Field("position", N_("Person: position"), "person"),
    Field("birthday", N_("Person: birthday"), "person"),
    Field("phone", N_("Phone"), "person", True),
    Field("phone_mobile", N_("Phone: mobile"), "person", True),
    Field("phone_work", N_("Phone: work"), "person", True),
    Field("phone_home", N_("Phone: home"), "person", True),
    Field("phone_fax", N_("Phone: fax"), "person", True),
    Field("email", N_("Email"), "person", True),
    Field("company", N_("Company: name"), "company"),
    Field("inn", N_("Company: tax id (INN)"), "company"),
    Field("kpp", N_("Company: KPP"), "company"),
    Field("address", N_("Company: address"), "company"),
    Field("site", N_("Company: site"), "company"),
    Field("industry", N_("Company: industry"), "company"),
    Field("company_phone", N_("Company: phone"), "company", True),
    Field("company_email", N_("Company: email"), "company", True),
    Field("owner", N_("Owner (manager)"), "row"),
    Field("tags", N_("Tags"), "row", True),
    Field("source", N_("Source"), "row"),
    Field("note", N_("Comment"), "row", True),
    Field("deal_title", N_("Deal: title"), "deal"),
    Field("deal_amount", N_("Deal: amount"), "deal"),
    Field("deal_stage", N_("Deal: stage"), "deal"),
]
FIELD_BY_CODE = {f.code: f for f in FIELDS}
PHONE_FIELDS = {"phone": None, "phone_mobile": "mobile", "phone_work": "work", "phone_home": "home", "phone_fax": "fax"}


def field_label(code: str) -> str:
    if not code:
        return _("(ignored)")
    f = FIELD_BY_CODE.get(code)
    return _(f.label) if f else code


_DROP = re.compile(r"[\W_]+", re.UNICODE)


def header_key(text: object) -> str:
    """'  Моб. Телефон: ' → 'мобтелефон'; 'E-mail' → 'email'."""
    if text is None:
        return ""
    s = unicodedata.normalize("NFKC", str(text)).casefold().replace("ё", "е")
    return _DROP.sub("", s)


# Exact header texts (compared by header_key) → field.
_ALIASES: dict[str, list[str]] = {
    "full_name": ["ФИО", "Ф.И.О.", "Полное имя", "Контакт", "Контактное лицо", "Имя контакта", "Полное имя контакта",
                  "Full name", "Name", "Contact", "Contact name", "Contact person", "Display name"],
    "last_name": ["Фамилия", "Last name", "Surname", "Family name"],
    "first_name": ["Имя", "First name", "Given name"],
    "middle_name": ["Отчество", "Middle name", "Additional name", "Second name"],
    "position": ["Должность", "Position", "Job title", "Organization title", "Organization 1 - Title", "Роль"],
    "birthday": ["Дата рождения", "День рождения", "Birthday", "Birth date", "Date of birth", "ДР"],
    "phone": ["Телефон", "Телефоны", "Тел", "Тел.", "Номер телефона", "Контактный телефон", "Phone", "Phones",
              "Telephone", "Phone number", "Phone 1 - Value", "Phone 2 - Value", "Phone 3 - Value", "Другой телефон",
              "Other phone", "Primary phone", "Основной телефон"],
    "phone_mobile": ["Мобильный", "Мобильный телефон", "Моб. телефон", "Моб", "Сотовый", "Сотовый телефон",
                     "Mobile", "Mobile phone", "Cell", "Cell phone", "Телефон мобильный"],
    "phone_work": ["Рабочий телефон", "Раб. телефон", "Телефон рабочий", "Work phone", "Business phone",
                   "Business phone 2", "Office phone", "Рабочий телефон 2", "Телефон (раб.)"],
    "phone_home": ["Домашний телефон", "Дом. телефон", "Телефон домашний", "Home phone", "Home phone 2"],
    "phone_fax": ["Факс", "Номер факса", "Факс раб.", "Рабочий факс", "Fax", "Business fax", "Home fax", "Work fax"],
    "email": ["E-mail", "Email", "Эл. почта", "Электронная почта", "Адрес эл. почты", "Почта", "Рабочий email",
              "Рабочий e-mail", "Личный email", "Частный e-mail", "Другой e-mail", "Email address", "E-mail address",
              "E-mail 2 address", "E-mail 3 address", "E-mail 1 - Value", "E-mail 2 - Value", "Work email",
              "Personal email", "Other email", "Mail", "Адрес электронной почты", "E-mail адрес", "Emails"],
    "company": ["Компания", "Организация", "Наименование", "Контрагент", "Название компании", "Клиент (компания)",
                "Юр. лицо", "Юрлицо", "Company", "Company name", "Organization", "Organisation", "Organization name",
                "Organization 1 - Name", "Account", "Account name", "Наименование организации", "Фирма"],
    "inn": ["ИНН", "INN", "Tax id", "Taxpayer id", "VAT", "TIN", "ИНН организации"],
    "kpp": ["КПП", "KPP"],
    "address": ["Адрес", "Юридический адрес", "Фактический адрес", "Почтовый адрес", "Адрес компании", "Address",
                "Business address", "Business street", "Street", "Address 1 - Formatted", "Адрес организации"],
    "site": ["Сайт", "Веб-сайт", "Веб сайт", "Веб-страница", "Web", "Website", "Web site", "Web page", "Site",
             "URL", "Website 1 - Value", "Сайт компании"],
    "industry": ["Отрасль", "Сфера деятельности", "Industry", "Вид деятельности"],
    "company_phone": ["Телефон компании", "Телефон организации", "Company phone"],
    "company_email": ["Email компании", "E-mail компании", "Почта компании", "Company email"],
    "owner": ["Ответственный", "Менеджер", "Ответственный менеджер", "Ответственный пользователь", "Owner",
              "Responsible", "Responsible user", "Manager", "Account owner", "Sales rep", "Основной менеджер"],
    "tags": ["Теги", "Тег", "Метки", "Категории", "Категория", "Группы", "Tags", "Tag", "Labels", "Categories",
             "Category", "Group membership"],
    "source": ["Источник", "Источник клиента", "Откуда узнали", "Source", "Lead source"],
    "note": ["Комментарий", "Комментарии", "Примечание", "Примечания", "Заметки", "Заметка", "Описание",
             "Comment", "Comments", "Notes", "Note", "Description"],
    "deal_title": ["Название сделки", "Сделка", "Наименование сделки", "Deal", "Deal name", "Deal title",
                   "Opportunity", "Lead title"],
    "deal_amount": ["Бюджет", "Сумма", "Сумма сделки", "Бюджет сделки", "Amount", "Deal amount", "Budget",
                    "Opportunity amount"],
    "deal_stage": ["Этап", "Этап сделки", "Стадия", "Стадия сделки", "Статус сделки", "Stage",
                   "Deal stage", "Pipeline stage"],
}
ALIASES: dict[str, str] = {header_key(a): code for code, names in _ALIASES.items() for a in names}

# Substring rules for headers no alias matched ("Телефон 2", "Моб.тел. (осн)", "E-mail 3").
_CONTAINS: list[tuple[str, str]] = [
    ("факс", "phone_fax"), ("fax", "phone_fax"),
    ("моб", "phone_mobile"), ("сотов", "phone_mobile"), ("mobile", "phone_mobile"), ("cell", "phone_mobile"),
    ("домтел", "phone_home"), ("домашнтел", "phone_home"), ("homephone", "phone_home"),
    ("рабтел", "phone_work"), ("рабочийтел", "phone_work"), ("workphone", "phone_work"), ("businessphone", "phone_work"),
    ("телефон", "phone"), ("phone", "phone"),
    ("email", "email"), ("почт", "email"),
    ("инн", "inn"), ("кпп", "kpp"),
    ("фио", "full_name"), ("фамилия", "last_name"), ("отчество", "middle_name"),
    ("должност", "position"), ("jobtitle", "position"),
    ("рожден", "birthday"), ("birth", "birthday"),
    ("организац", "company"), ("компани", "company"), ("контрагент", "company"), ("company", "company"),
    ("адрес", "address"), ("address", "address"),
    ("сайт", "site"), ("website", "site"),
    ("ответствен", "owner"), ("менеджер", "owner"),
    ("тег", "tags"), ("метк", "tags"),
    ("коммент", "note"), ("примечан", "note"), ("заметк", "note"), ("note", "note"),
    ("источник", "source"), ("бюджет", "deal_amount"), ("этап", "deal_stage"), ("стади", "deal_stage"),
]


def recognize(header: object) -> str:
    """The field a header names, or '' when it is not recognized."""
    key = header_key(header)
    if not key:
        return ""
    if key in ALIASES:
        return ALIASES[key]
    stripped = re.sub(r"\d+$", "", key)  # "Телефон2", "Email 3"
    if stripped in ALIASES and FIELD_BY_CODE[ALIASES[stripped]].multi:
        return ALIASES[stripped]
    if len(key) > 60 or "type" in key or "тип" in key:  # data, or "Phone 1 - Type"
        return ""
    for needle, code in _CONTAINS:
        if needle in key:
            return code
    return ""


def header_score(cells: list[object]) -> int:
    """How much a row looks like a header: the number of distinct recognized texts (numbers don't count)."""
    score = 0
    seen = set()
    for c in cells:
        if not isinstance(c, str):
            continue
        code = recognize(c)
        if code and (code, header_key(c)) not in seen:
            seen.add((code, header_key(c)))
            score += 2 if header_key(c) in ALIASES else 1
    return score


def auto_mapping(headers: list[str]) -> list[str]:
    """A field per column; single-valued fields go to the first column naming them."""
    out: list[str] = []
    taken: set[str] = set()
    for h in headers:
        code = recognize(h)
        if code and not FIELD_BY_CODE[code].multi:
            if code in taken:
                code = ""
            else:
                taken.add(code)
        out.append(code)
    return fix_names(out)


def fix_names(mapping: list[str]) -> list[str]:
    """A sheet with 'Имя' alone (no last name, no ФИО) means the whole name is in that column."""
    codes = set(mapping)
    if "first_name" in codes and not ({"last_name", "full_name"} & codes):
        return ["full_name" if c == "first_name" else c for c in mapping]
    return mapping


class MappingError(ValueError):
    pass


def parse_map_option(text: str, headers: list[str], base: list[str] | None = None) -> list[str]:
    """``"Column=field,Other=field2,Skip="`` applied over ``base`` (default: all ignored)."""
    mapping = list(base) if base else [""] * len(headers)
    keys = [header_key(h) for h in headers]
    for part in [p for p in re.split(r"[,;]\s*(?=[^,;=]+=)", text.strip()) if p.strip()]:
        if "=" not in part:
            raise MappingError(_("--map expects Column=field pairs, got {part!r}").format(part=part))
        col, code = (s.strip() for s in part.rsplit("=", 1))
        if code and code not in FIELD_BY_CODE:
            raise MappingError(_("unknown field {code!r}; known: {known}").format(code=code, known=", ".join(FIELD_BY_CODE)))
        index = None
        if col.startswith("#") and col[1:].isdigit():
            index = int(col[1:]) - 1
        elif header_key(col) in keys:
            index = keys.index(header_key(col))
        if index is None or not 0 <= index < len(headers):
            raise MappingError(_("no column {col!r} in the file").format(col=col))
        mapping[index] = code
    return mapping


def mapping_to_dict(headers: list[str], mapping: list[str]) -> dict[str, str]:
    """For storage (presets, batches): header text → field (ignored columns as '')."""
    out = {}
    for i, (h, code) in enumerate(zip(headers, mapping)):
        out[h or f"#{i + 1}"] = code
    return out


def mapping_from_dict(headers: list[str], saved: dict[str, str], fallback: list[str] | None = None) -> list[str]:
    """Apply a saved header → field dict to this file's headers (by header_key); others: fallback."""
    by_key = {header_key(h): code for h, code in saved.items()}
    out = []
    for i, h in enumerate(headers):
        key = header_key(h) if h else ""
        if key and key in by_key:
            out.append(by_key[key])
        elif f"#{i + 1}" in saved:
            out.append(saved[f"#{i + 1}"])
        else:
            out.append(fallback[i] if fallback else "")
    return out
