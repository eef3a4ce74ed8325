"""The demo base: realistic, Russian-first, deterministic sample data built through the services.

``build_demo(path)`` writes a fresh SQLite base: ~100 companies (ООО/АО/ИП with valid ИНН/КПП),
1–5 contact persons each, ~30 private clients, phones typed the many ways people type them (a few
invalid ones, kept raw and flagged), emails, tags, five active users (the login ``demo`` is a head,
so ``tuicrm --demo`` sees everything), deals in every stage with their stage history (some went
back a stage; lost ones with reasons and competitors), six months of calls, meetings, emails and
notes, and open tasks for yesterday (overdue), today and tomorrow for every manager.

The content (names, numbers, texts, amounts) is identical on every build: a seeded random
generator drives it. Dates are relative to the build day, so there are always tasks for today.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from zoneinfo import ZoneInfo

from tuicrm.config import Settings
from tuicrm.db.connection import close_database, write_tx
from tuicrm.model import (
    Activity,
    Company,
    Competitor,
    Deal,
    Email,
    LossReason,
    Note,
    Person,
    Phone,
    SalesTarget,
    StageChange,
    Tag,
    User,
    utcnow,
)
from tuicrm.model.enums import ActivityKind, Outcome, Role, StageKind, Visibility
from tuicrm.services import activities, contacts, deals, users
from tuicrm.services.base import Actor, chunks

SEED = 20261127
ZONE = ZoneInfo("Europe/Moscow")
DEMO_LOGIN = "demo"

# --- people ------------------------------------------------------------------------------------

LAST_NAMES = [
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
    "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
    "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
    "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков",
    "Сорокин", "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков",
    "Баранов", "Филиппов", "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов",
    "Сидоров", "Матвеев", "Титов", "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов",
    "Мельников", "Денисов", "Гаврилов", "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев",
    "Тимофеев", "Фомин", "Чернов", "Абрамов", "Мартынов", "Ефимов", "Щербаков", "Назаров", "Калинин",
    "Исаев", "Быков", "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов",
    "Голубев", "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв", "Трофимов", "Леонов",
    "Соболев", "Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров", "Грачёв", "Котов",
]
MALE_FIRST = [
    "Александр", "Сергей", "Дмитрий", "Андрей", "Алексей", "Максим", "Евгений", "Иван", "Михаил",
    "Артём", "Николай", "Владимир", "Павел", "Роман", "Олег", "Игорь", "Виктор", "Юрий", "Константин",
    "Денис", "Антон", "Илья", "Кирилл", "Вадим", "Станислав", "Григорий", "Фёдор", "Тимур",
]
FEMALE_FIRST = [
    "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария", "Екатерина",
    "Юлия", "Марина", "Анастасия", "Людмила", "Галина", "Дарья", "Ксения", "Алина", "Вера",
    "Надежда", "Оксана", "Валентина", "Любовь", "Полина", "Виктория",
]
PATRONYMICS = [
    ("Иванович", "Ивановна"), ("Петрович", "Петровна"), ("Сергеевич", "Сергеевна"),
    ("Александрович", "Александровна"), ("Дмитриевич", "Дмитриевна"), ("Андреевич", "Андреевна"),
    ("Алексеевич", "Алексеевна"), ("Николаевич", "Николаевна"), ("Михайлович", "Михайловна"),
    ("Владимирович", "Владимировна"), ("Викторович", "Викторовна"), ("Юрьевич", "Юрьевна"),
    ("Олегович", "Олеговна"), ("Евгеньевич", "Евгеньевна"), ("Игоревич", "Игоревна"),
    ("Анатольевич", "Анатольевна"), ("Васильевич", "Васильевна"), ("Борисович", "Борисовна"),
    ("Геннадьевич", "Геннадьевна"), ("Павлович", "Павловна"), ("Константинович", "Константиновна"),
]

# (position, weight); the first person of a company is always its director
POSITIONS = [
    ("Главный бухгалтер", 5), ("Бухгалтер", 3), ("Менеджер по закупкам", 5), ("Закупщик", 3),
    ("Кладовщик", 3), ("Юрист", 2), ("Коммерческий директор", 3), ("Заместитель директора", 2),
    ("Начальник склада", 2), ("Инженер", 2), ("Логист", 2), ("Офис-менеджер", 2), ("Секретарь", 1),
]
DIRECTORS = ["Генеральный директор", "Директор", "Генеральный директор", "Управляющий"]

USERS = [  # login, name, role
    (DEMO_LOGIN, "Ольга Белова", Role.HEAD),
    ("ivanov", "Сергей Иванов", Role.MANAGER),
    ("petrova", "Анна Петрова", Role.MANAGER),
    ("sokolov", "Дмитрий Соколов", Role.MANAGER),
    ("kuznetsova", "Мария Кузнецова", Role.MANAGER),
    ("admin", "Администратор", Role.ADMIN),
]

# --- companies ---------------------------------------------------------------------------------

NAME_HEADS = [
    "Техно", "Строй", "Агро", "Мега", "Промо", "Энерго", "Сиб", "Урал", "Волга", "Нева", "Балт", "Гранд",
    "Инвест", "Металл", "Поли", "Теле", "Евро", "Спец", "Стандарт", "Вектор", "Альфа", "Север", "Юг",
    "Профи", "Экспо", "Терра", "Крона", "Меридиан",
]
NAME_TAILS = [
    "снаб", "комплект", "сервис", "трейд", "пром", "маркет", "торг", "систем", "лайн", "логистик",
    "строй", "инвест", "продукт", "тех", "пак", "опт", "мастер", "ресурс",
]
LEGAL_FORMS = [("ООО", 70), ("АО", 12), ("ИП", 18)]
CITIES = [  # city, region part of a postal address, INN region code, postal code prefix, phone area codes
    ("Москва", "г. Москва", "77", "1", ["495", "499"]),
    ("Санкт-Петербург", "г. Санкт-Петербург", "78", "19", ["812"]),
    ("Казань", "Республика Татарстан, г. Казань", "16", "420", ["843"]),
    ("Екатеринбург", "Свердловская обл., г. Екатеринбург", "66", "620", ["343"]),
    ("Новосибирск", "Новосибирская обл., г. Новосибирск", "54", "630", ["383"]),
    ("Нижний Новгород", "Нижегородская обл., г. Нижний Новгород", "52", "603", ["831"]),
    ("Химки", "Московская обл., г. Химки", "50", "141", ["495", "498"]),
    ("Краснодар", "Краснодарский край, г. Краснодар", "23", "350", ["861"]),
]
STREETS = [
    "ул. Ленина", "ул. Садовая", "пр-т Мира", "ул. Гагарина", "ул. Промышленная", "ул. Заводская",
    "Ленинградское ш.", "ул. Советская", "ул. Кирова", "наб. Обводного канала", "ул. Строителей",
    "ул. Профсоюзная", "Складской пр-д", "ул. Транспортная", "ул. Пушкина", "ул. Мичурина",
]
INDUSTRIES = [
    "Оптовая торговля", "Строительство", "Производство", "Логистика", "Розничная торговля",
    "Общественное питание", "Медицина", "Сельское хозяйство", "ИТ и связь", "Автосервис",
]
SEGMENTS = [("Крупный", 15), ("Средний", 35), ("Малый", 50)]
COMPANY_TAGS = ["Постоянный клиент", "Дилер", "Тендер", "VIP", "Выставка 2026", "Холодный", "Партнёр"]
PERSON_TAGS = ["ЛПР", "VIP", "Рассылка", "Не звонить до 11"]
SOURCES = ["Сайт", "Рекомендация", "Выставка", "Холодный звонок", "Тендер", "Входящий звонок"]

MOBILE_CODES = ["903", "905", "906", "909", "915", "916", "917", "925", "926", "929", "964", "977", "985", "999"]
FREE_MAIL = ["mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru"]

COMPETITORS = [("ТоргСнаб", "torgsnab.ru"), ("МегаОпт", "megaopt.ru"), ("ПромРесурс", "promresurs.ru"),
               ("Альянс-Трейд", None), ("Бизнес Линия", "bl-group.ru")]

# --- deals and activities ------------------------------------------------------------------------

DEAL_TOPICS = [
    ("Поставка металлопроката", 300_000, 4_000_000), ("Оборудование для склада", 150_000, 2_500_000),
    ("Годовой контракт на обслуживание", 200_000, 1_800_000), ("Партия упаковки", 40_000, 600_000),
    ("Расходные материалы", 20_000, 300_000), ("Спецодежда для персонала", 50_000, 700_000),
    ("Поставка кабеля", 100_000, 1_500_000), ("Стеллажи и погрузчики", 400_000, 5_000_000),
    ("Тестовая партия", 15_000, 120_000), ("Комплектация объекта", 500_000, 8_000_000),
    ("Пополнение склада к сезону", 80_000, 900_000), ("Лицензии и внедрение", 120_000, 1_200_000),
]
CALL_SUBJECTS = [
    "Уточнить потребность", "Обсудить КП", "Согласовать цену", "Напомнить о счёте", "Договориться о встрече",
    "Узнать решение по поставке", "Сверка по оплате", "Уточнить сроки отгрузки", "Первичный звонок",
    "Поздравить с праздником", "Проверить получение образцов",
]
RESULTS = {
    Outcome.REACHED: [
        "Обсудили условия поставки, ждёт КП до пятницы.", "Договорились о встрече на следующей неделе.",
        "Согласовали скидку 5% при предоплате.", "Счёт получили, оплата на этой неделе.",
        "Интересно, но бюджет будет только в следующем квартале.", "Попросили прислать образцы.",
        "Подтвердили объём: две машины в месяц.", "Передал контакт главного инженера.",
        "Всё устраивает, готовят договор.", "Сравнивают с конкурентом, решение через неделю.",
    ],
    Outcome.NO_ANSWER: ["Не берёт трубку.", "Длинные гудки.", "Абонент недоступен."],
    Outcome.BUSY: ["Занято.", "Сбросил вызов."],
    Outcome.CALL_BACK: ["Просил перезвонить после обеда.", "На совещании, перезвонить завтра утром.",
                        "В отпуске до понедельника, просил набрать позже."],
    Outcome.REFUSED: ["Не интересно, работают с другим поставщиком.", "Просил больше не звонить."],
}
OUTCOME_WEIGHTS = [(Outcome.REACHED, 55), (Outcome.NO_ANSWER, 18), (Outcome.BUSY, 6), (Outcome.CALL_BACK, 16),
                   (Outcome.REFUSED, 5)]
INCOMING = ["Вопрос по счёту", "Запрос цены", "Претензия по доставке", "Хотят увеличить заказ", "Вопрос по договору"]
MEETINGS = [
    ("Встреча в офисе клиента", "Показали образцы, договорились о тестовой партии."),
    ("Презентация продукции", "Понравилось, ждут расчёт на годовой объём."),
    ("Переговоры по договору", "Согласовали спецификацию, осталось подписать."),
    ("Визит на склад клиента", "Посмотрели площадку, нужны стеллажи на 400 паллет."),
]
EMAILS = [
    ("Отправлено коммерческое предложение", "КП отправлено, запрошено подтверждение получения."),
    ("Счёт на оплату", "Счёт выставлен и отправлен бухгалтерии."),
    ("Договор на согласование", "Проект договора отправлен юристу клиента."),
    ("Прайс-лист на следующий месяц", "Разослан актуальный прайс."),
]
TASKS = [
    "Подготовить КП", "Выставить счёт", "Отправить договор", "Согласовать доставку", "Проверить оплату",
    "Подготовить презентацию", "Запросить реквизиты", "Собрать закрывающие документы",
]
TASK_RESULTS = [
    "Сделано", "Отправлено клиенту", "Согласовано с бухгалтерией", "Документы подписаны", "Оплата поступила",
    "Отправлено, ждём ответа",
]
NOTES = [
    "Решения принимает только генеральный, бухгалтерия лишь согласует.",
    "Платят с задержкой 2–3 недели, работать по предоплате.",
    "Интересуются скидкой за объём от 1 млн.",
    "Удобное время для звонков — после 14:00.",
    "Склад в Подольске, доставка только до 16:00.",
    "Новый закупщик с октября, старый ушёл к конкуренту.",
    "Просили все документы дублировать на почту бухгалтерии.",
]

_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u",
     "f", "kh", "ts", "ch", "sh", "sch", "", "y", "", "e", "yu", "ya"],
))


def translit(text: str) -> str:
    return "".join(_TRANSLIT.get(ch, ch if ch.isascii() and ch.isalnum() else "") for ch in text.lower())


def inn10(rng: random.Random, region: str) -> str:
    digits = [int(c) for c in region] + [rng.randint(0, 9) for _ in range(7)]
    weights = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    digits.append(sum(w * d for w, d in zip(weights, digits)) % 11 % 10)
    return "".join(map(str, digits))


def inn12(rng: random.Random, region: str) -> str:
    digits = [int(c) for c in region] + [rng.randint(0, 9) for _ in range(8)]
    w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    digits.append(sum(w * d for w, d in zip(w11, digits)) % 11 % 10)
    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    digits.append(sum(w * d for w, d in zip(w12, digits)) % 11 % 10)
    return "".join(map(str, digits))


def inn_is_valid(inn: str) -> bool:
    if not inn.isdigit() or len(inn) not in (10, 12):
        return False
    d = [int(c) for c in inn]
    if len(inn) == 10:
        return sum(w * x for w, x in zip([2, 4, 10, 3, 5, 9, 4, 6, 8], d)) % 11 % 10 == d[9]
    n11 = sum(w * x for w, x in zip([7, 2, 4, 10, 3, 5, 9, 4, 6, 8], d)) % 11 % 10
    n12 = sum(w * x for w, x in zip([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], d)) % 11 % 10
    return n11 == d[10] and n12 == d[11]


def _weighted(rng: random.Random, pairs):
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


# --- phone shapes ----------------------------------------------------------------------------------


def _groups(n: str) -> tuple[str, str, str, str]:
    return n[:3], n[3:6], n[6:8], n[8:10]


def mobile_raw(rng: random.Random, n: str, who: str = "") -> str:
    """A 10-digit mobile number written the way people write it."""
    a, b, c, d = _groups(n)
    shapes = [
        f"+7 ({a}) {b}-{c}-{d}", f"8 {a} {b}{c}{d}", f"{a}{b}{c}{d}", f"8{a}{b}{c}{d}", f"+7{a}{b}{c}{d}",
        f"8 ({a}) {b}-{c}-{d}", f"моб.: 8-{a}-{b}-{c}-{d}", f"7 {a} {b}-{c}-{d}", f"+7 {a} {b} {c} {d}",
        f"8-{a}-{b}{c}{d}", f"сот. {a} {b}-{c}{d}",
    ]
    raw = rng.choice(shapes)
    if who and rng.random() < 0.15:
        raw += f" ({who})"
    return raw


def office_raw(rng: random.Random, n: str, ext: str | None) -> str:
    a, b, c, d = _groups(n)
    shapes = [f"8({a}){b}-{c}-{d}", f"+7 ({a}) {b}-{c}-{d}", f"тел. ({a}) {b}-{c}-{d}", f"8 {a} {b}-{c}-{d}",
              f"раб. +7 {a} {b}{c}{d}"]
    raw = rng.choice(shapes)
    if ext:
        raw += rng.choice([f" доб. {ext}", f", доб. {ext}", f" вн. {ext}", f" ext {ext}", f" (доб.{ext})"])
    return raw


INVALID_PHONES = ["123-45-67", "8 916 123", "+7 (916) 12-34-5", "доб. 45", "8 (495) 55-66", "позвонить секретарю"]


# --- the builder ------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, now: dt.datetime):
        self.rng = random.Random(SEED)
        self.now = now
        self.today = now.replace(tzinfo=dt.timezone.utc).astimezone(ZONE).date()
        self.used_numbers: set[str] = set()
        self.used_names: set[str] = set()
        self.invalid_left = list(INVALID_PHONES)

    # time helpers: local Moscow wall time → naive UTC
    def at(self, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)
        return local.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def workday(self, days_ago: int) -> dt.date:
        """A weekday ``days_ago`` days back (weekends move to the Friday before; no randomness)."""
        day = self.today - dt.timedelta(days=days_ago)
        while day.weekday() >= 5:
            day -= dt.timedelta(days=1)
        return day

    def next_workday(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
        return day

    def past_time(self, days_ago: int) -> dt.datetime:
        day = self.workday(max(days_ago, 1))
        t = self.at(day, self.rng.randint(9, 17), self.rng.choice([0, 5, 10, 15, 20, 30, 40, 45, 50]))
        return min(t, self.now - dt.timedelta(minutes=5))

    def number(self, codes: list[str]) -> str:
        while True:
            n = self.rng.choice(codes) + str(self.rng.randint(2_000_000, 9_899_999))
            if n not in self.used_numbers:
                self.used_numbers.add(n)
                return n

    def person_name(self, gender: str | None = None) -> tuple[str, str, str, str]:
        rng = self.rng
        while True:
            g = gender or rng.choice("mf")
            last = rng.choice(LAST_NAMES)
            pat = rng.choice(PATRONYMICS)
            if g == "m":
                first, middle = rng.choice(MALE_FIRST), pat[0]
            else:
                first, middle, last = rng.choice(FEMALE_FIRST), pat[1], last + "а"
            key = f"{last} {first} {middle}"
            if key not in self.used_names:
                self.used_names.add(key)
                return g, last, first, middle


def _stats() -> dict[str, int]:
    return {
        "users": User.select().count(),
        "companies": Company.select().count(),
        "persons": Person.select().count(),
        "phones": Phone.select().count(),
        "invalid phones": Phone.select().where(Phone.is_valid == False).count(),  # noqa: E712
        "emails": Email.select().count(),
        "tags": Tag.select().count(),
        "deals": Deal.select().count(),
        "stage changes": StageChange.select().count(),
        "competitors": Competitor.select().count(),
        "activities": Activity.select().count(),
        "open activities": Activity.select().where(Activity.done_at.is_null()).count(),
        "notes": Note.select().count(),
    }


def build_demo(path: Path, *, fresh: bool = True, lang: str = "ru") -> dict[str, int]:
    """Build the demo base at ``path`` (SQLite) and return counts per table.

    ``fresh``: delete an existing file first; otherwise an existing base is kept as it is.
    """
    from tuicrm.session import open_session

    path = Path(path)
    lang = lang if lang in ("en", "ru") else "ru"
    exists = path.exists()
    if exists and fresh:
        close_database()
        for suffix in ("", "-wal", "-shm", "-journal"):
            p = Path(f"{path}{suffix}")
            if p.exists():
                p.unlink()
        exists = False
    open_session(f"sqlite:///{path}", Settings(language=lang), user=DEMO_LOGIN)
    try:
        if not exists or not Company.select().exists():
            with write_tx():
                _populate()
        return _stats()
    finally:
        close_database()


def _populate() -> None:
    b = _Builder(utcnow())
    rng = b.rng

    # users: "demo" was created by open_session (as the first user: admin) → make it the head
    user_ids: dict[str, int] = {}
    for login, name, role in USERS:
        u = User.get_or_none(User.login == login)
        if u is None:
            u = User.create(login=login, name=name, role=role, timezone="Europe/Moscow", daily_call_target=30)
        else:
            User.update(name=name, role=role, timezone="Europe/Moscow", daily_call_target=30).where(User.id == u.id).execute()
        user_ids[login] = u.id
    gone = users.create_user("frolov", "Олег Фролов", Role.MANAGER, "Europe/Moscow")
    User.update(is_active=False).where(User.id == gone.id).execute()
    actors = {login: Actor(user_ids[login], role, login, name) for login, name, role in USERS}
    managers = [actors[k] for k in ("ivanov", "petrova", "sokolov", "kuznetsova")]
    workers = managers + [actors[DEMO_LOGIN]]  # the head also keeps a few clients

    # sales plan per manager: this month and the five before it
    month = b.today.replace(day=1)
    for i in range(6):
        for m in managers:
            SalesTarget.create(user=m.user_id, month=month, amount_minor=rng.choice([3, 4, 5, 6]) * 1_000_000_00)
        month = (month - dt.timedelta(days=1)).replace(day=1)

    competitors = [Competitor.create(name=n, site=s).id for n, s in COMPETITORS]
    pipeline = deals.default_pipeline()
    stage_list = deals.stages(pipeline.id)
    open_stages = [s for s in stage_list if s.kind == StageKind.OPEN]
    won = next(s for s in stage_list if s.kind == StageKind.WON)
    lost = next(s for s in stage_list if s.kind == StageKind.LOST)
    reasons = list(LossReason.select().order_by(LossReason.position))

    # --- companies and their people ------------------------------------------------------------
    clients: list[tuple[int | None, int, Actor, str]] = []  # (company_id, person_id, owner actor, role)
    company_owner: dict[int, Actor] = {}
    names_used: set[str] = set()
    for ci in range(100):
        owner = workers[ci % len(workers)] if ci % 9 else actors[DEMO_LOGIN]
        form = _weighted(rng, LEGAL_FORMS)
        city, region_text, region, postal, areas = rng.choice(CITIES)
        director = b.person_name()
        if form == "ИП":
            g, last, first, middle = director
            name = f"ИП {last} {first[0]}.{middle[0]}."
            root = translit(last)
            inn, kpp = inn12(rng, region), None
        else:
            while True:
                stem = rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS)
                stem = stem[0] + stem[1:].lower()
                if stem not in names_used:
                    names_used.add(stem)
                    break
            name = f"{form} «{stem}»"
            root = translit(stem)
            inn = inn10(rng, region)
            kpp = inn[:4] + rng.choice(["01001", "01001", "43001", "50001"])
        site = None if form == "ИП" and rng.random() < 0.6 else rng.choice([f"{root}.ru", f"www.{root}.ru", f"https://{root}.com", f"{root}-group.ru"])
        domain = site.split("//")[-1].removeprefix("www.") if site else rng.choice(FREE_MAIL)
        address = (f"{postal}{rng.randint(0, 10 ** (6 - len(postal)) - 1):0{6 - len(postal)}d}, {region_text}, "
                   f"{rng.choice(STREETS)}, д. {rng.randint(1, 120)}" + (f", офис {rng.randint(1, 450)}" if rng.random() < 0.6 else ""))
        phones: list[contacts.PhoneIn] = []
        main_number = b.number(areas)
        phones.append(contacts.PhoneIn(office_raw(rng, main_number, None), kind="work"))
        if rng.random() < 0.3:
            phones.append(contacts.PhoneIn(office_raw(rng, b.number(areas), None), kind="fax" if rng.random() < 0.5 else "work"))
        emails = [f"info@{domain}"] if site else []
        tags = rng.sample(COMPANY_TAGS, rng.choice([0, 0, 1, 1, 2]))
        company_id = contacts.create_company(
            owner, name, inn=inn, kpp=kpp, address=address, site=site, industry=rng.choice(INDUSTRIES),
            segment=_weighted(rng, SEGMENTS), source=rng.choice(SOURCES), owner_id=owner.user_id,
            phones=phones, emails=emails, tags=tags,
        )
        Company.update(legal_form=form).where(Company.id == company_id).execute()
        company_owner[company_id] = owner

        n_people = rng.choices([1, 2, 3, 4, 5], weights=[15, 30, 30, 15, 10])[0]
        positions = [rng.choice(DIRECTORS)] + [_weighted(rng, POSITIONS) for _ in range(n_people - 1)]
        for pi, position in enumerate(positions):
            g, last, first, middle = director if pi == 0 else b.person_name()
            pphones: list[contacts.PhoneIn] = []
            if rng.random() < 0.85:
                pphones.append(contacts.PhoneIn(mobile_raw(rng, b.number(MOBILE_CODES), first)))
            if rng.random() < 0.35 or not pphones:
                ext = str(rng.randint(10, 399)) if rng.random() < 0.7 else None
                pphones.append(contacts.PhoneIn(office_raw(rng, main_number, ext), kind="work"))
            if b.invalid_left and ci % 17 == 3 and pi == 0:
                pphones.append(contacts.PhoneIn(b.invalid_left.pop(0)))
            pemails = []
            if site and rng.random() < 0.8:
                pemails.append(f"{translit(first)[0]}.{translit(last)}@{domain}")
            elif rng.random() < 0.4:
                pemails.append(f"{translit(last)}{rng.randint(70, 99)}@{rng.choice(FREE_MAIL)}")
            ptags = []
            if pi == 0 and rng.random() < 0.6:
                ptags.append("ЛПР")
            if rng.random() < 0.1:
                ptags.append(rng.choice(PERSON_TAGS[1:]))
            birthday = dt.date(rng.randint(1960, 1998), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.4 else None
            pid = contacts.create_person(
                owner, last_name=last, first_name=first, middle_name=middle, position=position,
                company_id=company_id, birthday=birthday, source=rng.choice(SOURCES), owner_id=owner.user_id,
                phones=pphones, emails=pemails, tags=ptags,
            )
            clients.append((company_id, pid, owner, position))

    # --- private clients ---------------------------------------------------------------------------
    for i in range(30):
        owner = workers[(i * 3) % len(workers)]
        g, last, first, middle = b.person_name()
        pphones = [contacts.PhoneIn(mobile_raw(rng, b.number(MOBILE_CODES)))]
        if rng.random() < 0.2:
            pphones.append(contacts.PhoneIn(office_raw(rng, b.number(["495", "499", "812"]), None), kind="home"))
        if b.invalid_left and i % 10 == 5:
            pphones.append(contacts.PhoneIn(b.invalid_left.pop(0)))
        pemails = [f"{translit(first)}.{translit(last)}@{rng.choice(FREE_MAIL)}"] if rng.random() < 0.7 else []
        pid = contacts.create_person(
            owner, last_name=last, first_name=first, middle_name=middle, source=rng.choice(SOURCES),
            owner_id=owner.user_id, visibility=Visibility.PRIVATE if rng.random() < 0.3 else Visibility.SHARED,
            birthday=dt.date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.5 else None,
            phones=pphones, emails=pemails, tags=["Частный клиент"] + (["VIP"] if rng.random() < 0.1 else []),
        )
        clients.append((None, pid, owner, "private"))
    # any invalid shapes left go to the last clients, so every build has all of them
    for (_cid, pid, owner, _role), raw in zip(reversed(clients), list(b.invalid_left)):
        contacts.add_phones(owner, raw, person_id=pid)
    b.invalid_left.clear()
    # two birthdays today and one tomorrow (relative to the build day)
    for offset, (_cid, pid, _o, _r) in zip((0, 0, 1), (clients[5], clients[40], clients[77])):
        day = b.today + dt.timedelta(days=offset)
        Person.update(birthday=dt.date(1980 + offset, day.month, min(day.day, 28))).where(Person.id == pid).execute()

    # --- deals -------------------------------------------------------------------------------------
    # final stage plan: every stage is represented
    plan = ([0] * 14 + [1] * 14 + [2] * 14 + [3] * 12 + ["won"] * 30 + ["lost"] * 22)
    rng.shuffle(plan)
    deal_of_company: dict[int, int] = {}
    deal_clients = rng.sample(clients, len(plan))
    for target, (company_id, pid, owner, _role) in zip(plan, deal_clients):
        topic, lo, hi = rng.choice(DEAL_TOPICS)
        amount = rng.randrange(lo, hi, 1000) * 100
        start_days = rng.randint(10, 170)
        created = b.past_time(start_days)
        title = topic if company_id is None else f"{topic} — {Company.get_by_id(company_id).name}"
        expected = b.today + dt.timedelta(days=rng.randint(-10, 60))
        deal_id = deals.create_deal(
            owner, title, amount_minor=amount, person_id=pid, company_id=company_id, owner_id=owner.user_id,
            expected_close=expected, stage_id=open_stages[0].id, created_at=created,
        )
        if company_id is not None:
            deal_of_company.setdefault(company_id, deal_id)
        # the path through the funnel
        last_open = target if isinstance(target, int) else rng.randint(0, len(open_stages) - 1)
        path = list(range(1, last_open + 1))
        if last_open >= 2 and rng.random() < 0.25:  # went back a stage once, then forward again
            k = rng.randint(2, last_open)
            path = path[: k] + [k - 1, k] + path[k:]
        if target == "won":
            path.append("won")
        elif target == "lost":
            path.append("lost")
        steps = len(path)
        span = max(start_days - 1, 1)
        version = 1
        for i, step in enumerate(path):
            days_ago = start_days - max(1, (span * (i + 1)) // (steps + 1))
            when = max(b.past_time(days_ago), created + dt.timedelta(hours=i + 1))
            when = min(when, b.now - dt.timedelta(minutes=steps - i))
            if step == "won":
                won_amount = amount if rng.random() < 0.7 else amount * rng.choice([90, 95, 105, 110]) // 100
                version = deals.move_deal(owner, deal_id, won.id, version, won_amount_minor=won_amount, at=when)
            elif step == "lost":
                reason = rng.choice(reasons)
                comp = rng.choice(competitors) if reason.needs_competitor or rng.random() < 0.2 else None
                version = deals.move_deal(owner, deal_id, lost.id, version, loss_reason_id=reason.id, competitor_id=comp, at=when,
                                          note=rng.choice(["Выбрали поставщика дешевле.", "Проект заморожен.", None]))
            else:
                back = i > 0 and isinstance(path[i - 1], int) and step < path[i - 1]
                version = deals.move_deal(owner, deal_id, open_stages[step].id, version, at=when,
                                          note="Клиент вернулся к обсуждению условий." if back else None)

    # --- history: calls, meetings, emails, notes over the last ~6 months ---------------------------
    # Finished activities go in as rows in bulk (no audit entries for made-up history); each
    # client's denormalized last/next columns are then recomputed by the activities service.
    history: list[dict] = []

    def past(kind, subject, when, *, done=None, duration=None, outcome=None, result=None, **links):
        history.append(dict(
            kind=kind, subject=subject, due_at=when, done_at=done or when, duration_min=duration, outcome=outcome,
            result=result, assignee=links["owner"].user_id, author=links["owner"].user_id, person=links["pid"],
            company=links["company_id"], deal=links["deal_id"], created_at=when, updated_at=done or when,
        ))

    for company_id, pid, owner, _role in clients:
        deal_id = deal_of_company.get(company_id) if company_id else None
        links = dict(owner=owner, pid=pid, company_id=company_id, deal_id=deal_id)
        for _ in range(rng.choices([0, 1, 2, 3, 4, 6, 8], weights=[8, 15, 20, 20, 15, 12, 10])[0]):
            days_ago = rng.randint(1, 180)
            when = b.past_time(days_ago)
            roll = rng.random()
            if roll < 0.62:
                outcome = _weighted(rng, OUTCOME_WEIGHTS)
                past(ActivityKind.CALL_OUT, rng.choice(CALL_SUBJECTS), when,
                     duration=rng.randint(1, 15) if outcome.reached else None, outcome=outcome,
                     result=rng.choice(RESULTS[outcome]), **links)
            elif roll < 0.75:
                past(ActivityKind.CALL_IN, rng.choice(INCOMING), when, duration=rng.randint(2, 20),
                     outcome=Outcome.REACHED, result=rng.choice(RESULTS[Outcome.REACHED]), **links)
            elif roll < 0.85:
                subject, result = rng.choice(MEETINGS)
                past(ActivityKind.MEETING, subject, when, done=min(when + dt.timedelta(hours=1), b.now), duration=60,
                     outcome=Outcome.REACHED, result=result, **links)
            elif roll < 0.95:
                subject, result = rng.choice(EMAILS)
                past(ActivityKind.EMAIL, subject, when, outcome=Outcome.OTHER, result=result, **links)
            else:
                Note.create(text=rng.choice(NOTES), person=pid, company=company_id, deal=deal_id,
                            author=owner.user_id, created_at=when, updated_at=when)
        if company_id is None and rng.random() < 0.3:
            when = b.past_time(rng.randint(1, 120))
            Note.create(text=rng.choice(NOTES), person=pid, author=owner.user_id, created_at=when, updated_at=when)
    # finished tasks (a proposal sent, an invoice issued…), from a random stream of their own so
    # that everything else in the demo stays as it was
    task_rng = random.Random(SEED + 1)
    for company_id, pid, owner, _role in clients:
        if task_rng.random() >= 0.4:
            continue
        deal_id = deal_of_company.get(company_id) if company_id else None
        links = dict(owner=owner, pid=pid, company_id=company_id, deal_id=deal_id)
        for _ in range(task_rng.choice([1, 1, 2, 3])):
            due = b.at(b.workday(task_rng.randint(1, 180)), task_rng.randint(9, 17), task_rng.choice([0, 15, 30, 45]))
            due = min(due, b.now - dt.timedelta(hours=2))
            done = min(due + dt.timedelta(minutes=task_rng.choice([20, 45, 90, 240, 1440])), b.now - dt.timedelta(minutes=5))
            past(ActivityKind.TASK, task_rng.choice(TASKS), due, done=done, result=task_rng.choice(TASK_RESULTS), **links)
    history.sort(key=lambda r: r["done_at"])
    for chunk in chunks(history, 200):
        Activity.insert_many(chunk).execute()

    # --- the plan: overdue from yesterday, today (some already done), tomorrow ------------------------
    by_owner: dict[int, list[tuple[int | None, int]]] = {}
    for company_id, pid, owner, _role in clients:
        by_owner.setdefault(owner.user_id, []).append((company_id, pid))
    yesterday = b.workday(1)
    tomorrow = b.next_workday(b.today)
    for actor in workers:
        mine = rng.sample(by_owner[actor.user_id], min(len(by_owner[actor.user_id]), 22))
        head = actor.login == DEMO_LOGIN
        plan_days = [(yesterday, 1 if head else rng.randint(2, 3)), (b.today, 3 if head else rng.randint(7, 10)),
                     (tomorrow, 2 if head else rng.randint(5, 8))]
        k = 0
        for day, count in plan_days:
            for j in range(count):
                company_id, pid = mine[k % len(mine)]
                k += 1
                hour, minute = 9 + (j * 7) // 8, (j * 25) % 60
                deal_id = deal_of_company.get(company_id) if company_id else None
                if rng.random() < 0.7:
                    kind, subject, duration = ActivityKind.CALL_OUT, rng.choice(CALL_SUBJECTS), None
                elif rng.random() < 0.6:
                    kind, subject, duration = ActivityKind.TASK, rng.choice(TASKS), None
                else:
                    kind, subject, duration = ActivityKind.MEETING, rng.choice(MEETINGS)[0], 60
                activities.create_activity(
                    actor, kind, subject, due_at=b.at(day, hour, minute), duration_min=duration,
                    person_id=pid, company_id=company_id, deal_id=deal_id,
                )
        # calls already made this morning (only those before now)
        for j in range(0 if head else rng.randint(2, 4)):
            company_id, pid = mine[(k + j) % len(mine)]
            when = b.at(b.today, 9, 5 + j * 12)
            outcome = _weighted(rng, OUTCOME_WEIGHTS)
            result = rng.choice(RESULTS[outcome])
            if when < b.now:
                activities.create_activity(
                    actor, ActivityKind.CALL_OUT, rng.choice(CALL_SUBJECTS), due_at=when, done_at=when, outcome=outcome,
                    result=result, person_id=pid, company_id=company_id,
                )
        # a meeting next week
        company_id, pid = mine[-1]
        day = b.today + dt.timedelta(days=7 - b.today.weekday() + 1)
        activities.create_activity(
            actor, ActivityKind.MEETING, MEETINGS[0][0], due_at=b.at(day, 11), duration_min=90,
            person_id=pid, company_id=company_id, deal_id=deal_of_company.get(company_id) if company_id else None,
        )

    # last contact / next activity of every client, recomputed by the service that owns them
    for company_id, pid, _owner, _role in clients:
        activities.touch_clients(pid, None)
    for company_id in company_owner:
        activities.touch_clients(None, company_id)
