"""Sanctions screening benchmark (issue: "one name against 50 000 entries <= 50 ms").

    .venv/bin/python -m tests.bench.bench_screening [--entries 50000] [--seed 7]

A seeded synthetic list of 50 000 entries (names from nine naming cultures,
Russian and Arabic names generated in their own script and romanised with
several real schemes, aliases, full / year-only / span / missing dates of
birth, nationalities) is built into a Screener, then queried:

* present: a listed person as their passport would give it (MRZ style:
  upper case, no accents, surname and given names split), with their date of
  birth and nationality;
* typo: the same with one edit (substitution, deletion, insertion or
  transposition) in one name token;
* transliterated: Russian and Arabic entries queried with a romanisation the
  list does not hold (the list has BGN/PCGN or one English spelling; the
  query uses the ICAO passport scheme, a German or French scheme, or another
  common Arabic spelling);
* absent: people generated the same way who are not on the list, with their
  own date of birth. Some share a listed person's exact name by chance (a
  homonym), as real customers do; they are counted apart.

Recall is the share of planted queries (present, typo, transliterated) whose
entry is reported (``review`` or ``hit``); the hit rate is the share reported
as ``hit``. The false-hit rate is the share of absent names screened ``hit``,
and the review rate the share screened ``review``. The transliteration
schemes here are written independently of ``pipeline/screening/normalize.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import unicodedata
from dataclasses import dataclass

from pipeline.screening import (
    BirthDate,
    DobAgreement,
    EntityType,
    ListFormat,
    Outcome,
    SanctionsEntry,
    SanctionsList,
    Screener,
    ScreeningOptions,
    ScreeningSubject,
    normalise_name,
)
from pipeline.screening.normalize import without_patronymic


def _words(text: str) -> list[str]:
    return text.split()


# --- name pools -------------------------------------------------------------------------
# Common given names and surnames of each culture; entries combine them at random, so
# any resemblance of a generated person to a real one is chance.

ENGLISH_GIVEN = _words(
    """James John Robert Michael William David Richard Joseph Thomas Charles Mary
Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Daniel Matthew Anthony Mark
Donald Steven Paul Andrew Joshua Kenneth Emily Margaret Laura Rachel Hannah George Edward Henry
Peter Oliver Grace Alice Samuel Benjamin Lucy Charlotte Jack Harry Emma Olivia"""
)
ENGLISH_SURNAME = _words(
    """Smith Johnson Williams Brown Jones Miller Davis Wilson Anderson Taylor Moore
Jackson Martin Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright Scott
Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker
Collins Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Bailey Reed Kelly Howard
Cox Ward Richardson Watson Brooks Wood Bennett Gray Hughes Price Sanders Myers Long Ross Foster
Fletcher Barnes Holmes Palmer Lloyd Ellis Marshall Hunt Knight Spencer"""
)
HISPANIC_GIVEN = _words(
    """José Juan Luis Carlos Jorge Miguel Alejandro Fernando Ricardo Javier María Ana
Carmen Lucía Isabel Sofía Elena Paula Marta Rosa Andrés Diego Pablo Raúl Sergio Gabriela
Valentina Camila Daniela Verónica Joaquín Ramón Héctor Inés Beatriz Guillermo Tomás"""
)
HISPANIC_SURNAME = _words(
    """García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez
Torres Flores Rivera Gómez Díaz Reyes Morales Cruz Ortiz Gutiérrez Chávez Ramos Ruiz Jiménez
Mendoza Álvarez Castillo Vásquez Romero Herrera Medina Aguilar Vargas Castro Fernández Muñoz
Ortega Delgado Navarro Domínguez Peña Guzmán Salazar Núñez Ibáñez Cabrera Espinoza"""
)
GERMANIC_GIVEN = _words(
    """Hans Peter Klaus Jürgen Günter Wolfgang Stefan Andreas Michael Thomas Anna
Ursula Monika Petra Sabine Birgit Karin Heike Björn Sören Lars Nils Erik Ingrid Astrid Sigrid
Åsa Märta Jörg Ralf Uwe Dieter Helga Gisela Käthe Mette Kirsten Søren Henrik Jens Maria
Magnus Gunnar Solveig"""
)
GERMANIC_SURNAME = _words(
    """Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann
Schäfer Koch Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann
Hartmann Lange Schmitt Werner Krause Meier Lehmann Andersson Johansson Karlsson Nilsson Eriksson
Larsson Olsson Persson Svensson Gustafsson Hansen Jensen Nielsen Pedersen Sørensen Søndergaard
Øvergaard Åberg Lindqvist Berglund Böhm Groß Weiß Fuchs Jäger Vogel Köhler Haas Lorenz"""
)
FRENCH_GIVEN = _words(
    """Jean Pierre Michel André Philippe René Louis Alain Jacques Bernard Marie Jeanne
Françoise Monique Catherine Nathalie Isabelle Sylvie Hélène Céline François Émile Jérôme
Stéphane Frédéric Élodie Aurélie Théo Gaëlle Noël"""
)
FRENCH_SURNAME = _words(
    """Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon
Laurent Lefèbvre Michel David Bertrand Roux Vincent Fournier Morel Girard André Lefèvre Mercier
Dupont Lambert Bonnet François Légaré Côté Gagnon Bélanger Lévesque Garnier Chevalier Rousseau
Blanc Guérin Boyer Gauthier Perrin Lemaire Duchêne"""
)
CHINESE_SURNAME = _words(
    """Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin
Gao Luo Zheng Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan"""
)
CHINESE_SYLLABLE = _words(
    """wei fang min jing li qiang lei jun yang yong yan jie tao ming chao xiu ying
hua ping gang hong xin hui lin bo yu zhi hai dong feng jian guo xiao mei lan qing"""
)
AFRICAN_GIVEN = _words(
    """Chukwuemeka Oluwaseun Adebayo Ngozi Chiamaka Emeka Obinna Tunde Folake Yetunde
Ifeanyi Chinedu Babatunde Oluwadamilare Ibrahim Musa Abubakar Kemi Segun Funmilayo Uche Nnamdi
Amara Kofi Kwame Ama Akosua Yaw Abena Kwabena"""
)
AFRICAN_SURNAME = _words(
    """Okafor Okonkwo Adeyemi Ogunleye Balogun Eze Nwosu Okeke Obi Oladipo Bello
Usman Lawal Afolabi Ogunbiyi Nwachukwu Onyekachi Chukwu Adeleke Olawale Mensah Owusu Boateng
Asante Osei Appiah Agyeman Danso Ofori Amoah"""
)
TURKISH_GIVEN = _words(
    """Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim İsmail Osman Yusuf Murat Ömer
Ramazan Halil Süleyman Fatma Ayşe Emine Hatice Zeynep Elif Meryem Şerife Zehra Sultan Emre
Burak Gökhan"""
)
TURKISH_SURNAME = _words(
    """Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan
Doğan Kılıç Aslan Çetin Kara Koç Kurt Özkan Şimşek Polat Özer Güler Erdoğan Aktaş Acar Bulut
Karaca Ünal Tekin"""
)
SOUTH_ASIAN_GIVEN = _words(
    """Rajesh Suresh Ramesh Amit Sanjay Vijay Anil Sunil Rahul Arjun Priya Anjali
Sunita Pooja Neha Kavita Deepak Manoj Ashok Ravi Imran Asif Bilal Farhan Ayesha Sana Zubair
Naveed Shahid Kamran"""
)
SOUTH_ASIAN_SURNAME = _words(
    """Sharma Verma Gupta Singh Kumar Patel Shah Mehta Joshi Reddy Rao Nair Iyer
Das Chatterjee Banerjee Mukherjee Khan Qureshi Malik Chaudhry Siddiqui Ansari Sheikh Hussain
Bhatt Pillai Menon Kapoor Saxena"""
)

RUSSIAN_GIVEN_M = _words(
    """Александр Сергей Владимир Андрей Алексей Дмитрий Николай Михаил Евгений Юрий
Игорь Олег Виктор Павел Анатолий Вячеслав Григорий Фёдор Илья Кирилл Максим Роман Степан Тимофей
Василий Борис Геннадий Леонид Аркадий Валерий"""
)
RUSSIAN_GIVEN_F = _words(
    """Елена Ольга Татьяна Наталья Ирина Светлана Юлия Анна Мария Екатерина Людмила
Галина Ксения Дарья Алёна Валентина Жанна Зоя Любовь Надежда Вера Софья Яна Евгения"""
)
RUSSIAN_SURNAME_M = _words(
    """Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков
Фёдоров Морозов Волков Алексеев Лебедев Семёнов Егоров Павлов Козлов Степанов Николаев Орлов
Андреев Макаров Никитин Захаров Зайцев Соловьёв Борисов Яковлев Григорьев Романов Воробьёв
Сергеев Кузьмин Фролов Александров Дмитриев Королёв Гусев Киселёв Ильин Максимов Поляков
Сорокин Виноградов Ковалёв Белов Медведев Антонов Тарасов Жуков Баранов Филиппов Комаров
Давыдов Беляев Герасимов Богданов Осипов Сидоров Матвеев Титов Марков Миронов Крылов Куликов
Карпов Власов Мельников Денисов Гаврилов Тихонов Казаков Афанасьев Данилов Савельев Тимофеев
Фомин Чернов Абрамов Мартынов Ефимов Федотов Щербаков Назаров Калинин Исаев Чернышёв Быков
Маслов Родионов Коновалов Лазарев Воронин Климов Филатов Пономарёв Голубев Кудрявцев Прохоров
Наумов Потапов Журавлёв Овчинников Трофимов Леонов Соболев Ермаков Колесников Гончаров Емельянов
Никифоров Грачёв Котов Гришин Ефремов Архипов Громов Кириллов Малышев Панов Моисеев Румянцев
Акимов Кондратьев Бирюков Горбунов Анисимов Ерёмин Тихомиров Галкин Лукьянов Михеев Скворцов
Юдин Белоусов Нестеров Симонов Прокофьев Харитонов Князев Цветков Левин Митрофанов Воронов
Аксёнов Мальцев Логинов Горшков Савин Краснов Майоров Демидов Елисеев Рыбаков Сафонов Плотников
Хохлов Жданов Носков Шевченко Бондаренко Коваленко Ткаченко Кравченко Олейник Шевчук
Поляченко Зинченко Юрченко"""
)

# Rarer surnames, composed from common parts: real lists are mostly long-tail names,
# and without these a generated list would hold far more homonyms than real ones do.
RARE_PARTS = {
    "english": (
        _words("""Ash Brad Brook Cal Car Chat Clif Cole Craw Dal Dun Fair Farn Gold Green Hal Hart
Haw Hol Kings Lang Lind Mar Mid Mor New North Pen Ratch Red Rich Ros Ship Stan Stock Strat Sut
Thorn Wake Wal Wes Whit Win Wood"""),
        _words(
            "ford ley ton worth wood field by ham well more brook combe stead ridge wick land hurst"
        ),
    ),
    "germanic": (
        _words("""Schön Rosen Lind Stein Gold Eisen Grün Hoch Kirch Wald Berg Feld Brenn Falken
Adler Hirsch Blum Sommer Winter Fried Lieb Kalten Roth Sand Ström Dahl Sjö Fors Lund Nord Söder
Björk Gran Hag"""),
        _words(
            "berg mann feld bach stein baum hof thal burg dorf haus huber inger qvist ström "
            "lund gren holm dahl blad"
        ),
    ),
    "african": (
        _words("Ade Ola Olu Oluwa Ogun Oye Aki Ayo Fola Chi Nwa Obi Eze Uche Nna Ike Ife Kwa Ose"),
        _words(
            "bayo wale seun tunde kemi yemi lade sola dike nna chukwu bueze oma kachi femi kunle"
        ),
    ),
    "turkish": (
        _words(
            "Ak Kara Öz Yıldız Demir Çelik Gök Er Kaya Al Bay Ay Tan Yurt Sarı Kılıç Taş Toprak"
        ),
        _words("han soy can oğlu er türk dağ göz gül taş kaya yol ay bay"),
    ),
}
RUSSIAN_ROOTS = _words(
    """Бел Черн Ворон Сокол Медвед Волк Голуб Журавл Лебед Орл Соловь Кузнец Плотник
Мельник Рыбак Гончар Пахом Трофим Денис Гаврил Лавр Прохор Игнат Тарас Остап Богдан Ярослав
Всеволод Мирон Радим Любим Добрын Стоян Златов Светл Гладк Тих Быстр Крут Рыж Храбр Шум Юрк Полян
Березн Дубров Лесн Озерн Речн Горн Полев Садов Мороз Снегир Щегл Клён Кедр Ясен"""
)
RUSSIAN_SUFFIXES = ["ов", "ин", "ский", "енко", "ук", "ев"]


def rare_surname(rng: random.Random, culture: str) -> str | None:
    """A composed long-tail surname for half the people of a culture that has parts for it."""
    if rng.random() >= 0.5:
        return None
    if culture == "russian":
        return rng.choice(RUSSIAN_ROOTS) + rng.choice(RUSSIAN_SUFFIXES)
    parts = RARE_PARTS.get(culture)
    return rng.choice(parts[0]) + rng.choice(parts[1]) if parts else None


# Arabic given names: (Arabic script, common English spellings; the first is the list's).
ARABIC_GIVEN = [
    ("محمد", ["Muhammad", "Mohammed", "Mohamed", "Mohammad", "Mohamad", "Muhammed"]),
    ("أحمد", ["Ahmad", "Ahmed"]),
    ("علي", ["Ali"]),
    ("حسن", ["Hassan", "Hasan"]),
    ("حسين", ["Hussein", "Husayn", "Hussain", "Husain"]),
    ("عمر", ["Omar", "Umar"]),
    ("خالد", ["Khalid", "Khaled"]),
    ("إبراهيم", ["Ibrahim", "Ebrahim"]),
    ("يوسف", ["Yusuf", "Youssef", "Yousef", "Yousuf"]),
    ("عبد الرحمن", ["Abd al-Rahman", "Abdul Rahman", "Abdelrahman", "Abdurrahman"]),
    ("عبد الله", ["Abdullah", "Abdallah", "Abd Allah"]),
    ("عبد العزيز", ["Abd al-Aziz", "Abdulaziz", "Abdelaziz"]),
    ("محمود", ["Mahmud", "Mahmoud", "Mahmood"]),
    ("مصطفى", ["Mustafa", "Mostafa", "Moustafa"]),
    ("سعيد", ["Said", "Saeed", "Saied"]),
    ("سالم", ["Salim", "Salem"]),
    ("طارق", ["Tariq", "Tarek", "Tareq"]),
    ("وليد", ["Walid", "Waleed"]),
    ("فيصل", ["Faisal", "Faysal"]),
    ("حمزة", ["Hamza", "Hamzah"]),
    ("جمال", ["Jamal", "Gamal"]),
    ("كريم", ["Karim", "Kareem"]),
    ("ناصر", ["Nasser", "Nasir", "Naser"]),
    ("رشيد", ["Rashid", "Rachid", "Rasheed"]),
    ("سمير", ["Samir", "Sameer"]),
    ("زياد", ["Ziad", "Ziyad"]),
    ("فاطمة", ["Fatima", "Fatimah", "Fatma"]),
    ("عائشة", ["Aisha", "Aicha", "Ayesha"]),
    ("مريم", ["Maryam", "Mariam"]),
    ("زينب", ["Zainab", "Zeinab", "Zaynab"]),
    ("خديجة", ["Khadija", "Khadijah"]),
    ("ليلى", ["Layla", "Leila", "Laila"]),
    ("أمينة", ["Amina", "Aminah"]),
    ("هدى", ["Huda", "Houda"]),
    ("نور", ["Nour", "Noor"]),
    ("عثمان", ["Uthman", "Othman", "Osman"]),
    ("صالح", ["Salih", "Saleh"]),
    ("منصور", ["Mansur", "Mansour"]),
    ("جابر", ["Jabir", "Jaber"]),
]
ARABIC_FAMILY = [
    ("التميمي", ["al-Tamimi", "Al Tamimi", "Altamimi"]),
    ("القحطاني", ["al-Qahtani", "Al Qahtani", "Alkahtani"]),
    ("الشمري", ["al-Shammari", "Al Shamari"]),
    ("الحربي", ["al-Harbi", "Alharbi"]),
    ("الزهراني", ["al-Zahrani", "Al Zahrani"]),
    ("الغامدي", ["al-Ghamdi", "Alghamdi"]),
    ("العتيبي", ["al-Otaibi", "Al Utaybi"]),
    ("المطيري", ["al-Mutairi", "Almutairi"]),
    ("الدوسري", ["al-Dosari", "Al Dossary"]),
    ("حداد", ["Haddad"]),
    ("خوري", ["Khoury", "Khouri"]),
    ("نصر", ["Nasr", "Nasser"]),
    ("منصور", ["Mansour", "Mansur"]),
    ("حمدان", ["Hamdan"]),
    ("درويش", ["Darwish", "Darwich"]),
    ("قاسم", ["Qasim", "Kassem", "Qassem"]),
    ("جابر", ["Jaber", "Jabir"]),
    ("عيسى", ["Issa", "Eissa"]),
    ("عباس", ["Abbas"]),
    ("حامد", ["Hamid", "Hamed"]),
    ("سليمان", ["Suleiman", "Sulayman", "Soliman"]),
    ("فاروق", ["Farouk", "Faruq"]),
    ("هاشم", ["Hashem", "Hashim"]),
    ("نجار", ["Najjar", "Naggar"]),
    ("حجازي", ["Hijazi", "Hegazy"]),
    ("شاهين", ["Shaheen", "Chahine"]),
    ("ياسين", ["Yassin", "Yasin"]),
    ("زكي", ["Zaki", "Zaky"]),
    ("طه", ["Taha"]),
    ("بدوي", ["Badawi", "Badawy"]),
    ("المصري", ["al-Masri", "El Masry"]),
    ("الخطيب", ["al-Khatib", "El Khatib", "Alkhateeb"]),
    ("السيد", ["al-Sayed", "El Sayed"]),
    ("عوض", ["Awad", "Awwad"]),
    ("سلامة", ["Salama", "Salameh"]),
]

# --- romanisations of Cyrillic, written here independently of the normaliser -------------

_BGN = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "ё": "yo",
    "ж": "zh",
    "з": "z",
    "и": "i",
    "й": "y",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "х": "kh",
    "ц": "ts",
    "ч": "ch",
    "ш": "sh",
    "щ": "shch",
    "ъ": "",
    "ы": "y",
    "ь": "",
    "э": "e",
    "ю": "yu",
    "я": "ya",
}
_ICAO = {**_BGN, "ё": "e", "й": "i", "ъ": "ie", "ю": "iu", "я": "ia"}
_GERMAN = {
    **_BGN,
    "ё": "jo",
    "ж": "sch",
    "з": "s",
    "й": "j",
    "х": "ch",
    "ц": "z",
    "ч": "tsch",
    "ш": "sch",
    "щ": "schtsch",
    "ы": "y",
    "ю": "ju",
    "я": "ja",
    "в": "w",
    "с": "s",
}
_FRENCH = {
    **_BGN,
    "ё": "io",
    "ж": "j",
    "й": "i",
    "у": "ou",
    "х": "kh",
    "ч": "tch",
    "ш": "ch",
    "щ": "chtch",
    "ю": "iou",
    "я": "ia",
}


def romanise(cyrillic: str, table: dict[str, str]) -> str:
    out = []
    for word in cyrillic.split():
        latin = "".join(table.get(ch, ch) for ch in word.lower())
        if table is _BGN and word.lower().startswith("е"):
            latin = "ye" + latin[1:]  # BGN/PCGN: initial е is "ye"
        out.append(latin.capitalize())
    return " ".join(out)


def patronymic(father: str, female: bool) -> str:
    stem = father
    if stem.endswith("й"):
        base = stem[:-1] + ("евна" if female else "евич")
    elif stem.endswith("а") or stem.endswith("я"):
        base = stem[:-1] + ("ична" if female else "ич")
    else:
        base = stem + ("овна" if female else "ович")
    return base


def feminine(surname: str) -> str:
    if surname.endswith("ский"):
        return surname[:-2] + "ая"
    return surname + "а" if surname.endswith(("ов", "ев", "ёв", "ин")) else surname


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def mrz_style(text: str) -> str:
    """As an MRZ prints it: upper case A-Z, accents dropped (ø, ß, ı spelt out)."""
    text = text.replace("ß", "SS").replace("ø", "OE").replace("Ø", "OE").replace("æ", "AE")
    text = text.replace("ı", "I").replace("İ", "I").replace("-", " ").replace("'", "")
    return strip_accents(text).upper()


# --- entries ---------------------------------------------------------------------------


@dataclass
class Person:
    """A generated person: the name parts, and what a passport of theirs would print."""

    given: str
    surname: str
    primary: str
    aliases: list[str]
    query_given: str  # as the passport prints it
    query_surname: str
    variant_given: str | None  # a romanisation the list does not hold
    variant_surname: str | None
    culture: str
    nationality: str


def _pick(rng: random.Random, pool: list[str]) -> str:
    return pool[int(len(pool) * rng.random() ** 1.6)]  # skewed: common names are common


def make_person(rng: random.Random) -> Person:
    culture = rng.choices(
        [
            "english",
            "hispanic",
            "germanic",
            "french",
            "russian",
            "arabic",
            "chinese",
            "african",
            "turkish",
            "south_asian",
        ],
        weights=[14, 12, 8, 6, 16, 18, 6, 7, 6, 7],
    )[0]
    aliases: list[str] = []
    variant_given = variant_surname = None
    if culture == "russian":
        female = rng.random() < 0.35
        given_c = _pick(rng, RUSSIAN_GIVEN_F if female else RUSSIAN_GIVEN_M)
        surname_c = rare_surname(rng, culture) or _pick(rng, RUSSIAN_SURNAME_M)
        surname_c = feminine(surname_c) if female else surname_c
        father = _pick(rng, RUSSIAN_GIVEN_M)
        patr_c = patronymic(father, female)
        given, surname = romanise(given_c, _BGN), romanise(surname_c, _BGN)
        patr = romanise(patr_c, _BGN)
        primary = f"{given} {patr} {surname}"
        if rng.random() < 0.5:
            aliases.append(f"{given_c} {patr_c} {surname_c}")
        query_given, query_surname = romanise(given_c, _ICAO), romanise(surname_c, _ICAO)
        scheme = rng.choice([_ICAO, _GERMAN, _FRENCH])
        variant_given, variant_surname = romanise(given_c, scheme), romanise(surname_c, scheme)
        nationality = rng.choice(["RUS"] * 6 + ["UKR", "BLR", "KAZ"])
    elif culture == "arabic":
        g_ar, g_lat = ARABIC_GIVEN[int(len(ARABIC_GIVEN) * rng.random() ** 1.4)]
        f_ar, f_lat = ARABIC_GIVEN[int(len(ARABIC_GIVEN) * rng.random() ** 1.4)]
        s_ar, s_lat = rng.choice(ARABIC_FAMILY)
        given = g_lat[0]
        surname = f"{f_lat[0]} {s_lat[0]}"
        primary = f"{given} {surname}"
        if rng.random() < 0.5:
            aliases.append(f"{g_ar} {f_ar} {s_ar}")
        if rng.random() < 0.3:
            aliases.append(f"{rng.choice(g_lat)} {s_lat[0]}")
        query_given, query_surname = given, surname
        alt_g = [v for v in g_lat if v != given] or g_lat
        alt_s = [v for v in s_lat if v != s_lat[0]] or s_lat
        variant_given = rng.choice(alt_g)
        variant_surname = f"{rng.choice(f_lat)} {rng.choice(alt_s)}"
        nationality = rng.choice(
            [
                "SAU",
                "YEM",
                "IRQ",
                "SYR",
                "EGY",
                "JOR",
                "LBN",
                "LBY",
                "SDN",
                "ARE",
                "KWT",
                "QAT",
                "DZA",
                "MAR",
                "TUN",
            ]
        )
    else:
        pools: dict[str, tuple[list[str], list[str], list[str]]] = {
            "english": (ENGLISH_GIVEN, ENGLISH_SURNAME, ["GBR", "USA", "CAN", "AUS", "IRL"]),
            "hispanic": (HISPANIC_GIVEN, HISPANIC_SURNAME, ["ESP", "MEX", "COL", "VEN", "ARG",
                                                            "PER", "CUB"]),
            "germanic": (GERMANIC_GIVEN, GERMANIC_SURNAME, ["DEU", "AUT", "SWE", "NOR", "DNK",
                                                            "CHE"]),
            "french": (FRENCH_GIVEN, FRENCH_SURNAME, ["FRA", "BEL", "CAN", "CHE"]),
            "african": (AFRICAN_GIVEN, AFRICAN_SURNAME, ["NGA", "GHA"]),
            "turkish": (TURKISH_GIVEN, TURKISH_SURNAME, ["TUR"]),
            "south_asian": (SOUTH_ASIAN_GIVEN, SOUTH_ASIAN_SURNAME, ["IND", "PAK", "BGD"]),
        }  # fmt: skip
        if culture == "chinese":
            given = "".join(rng.choice(CHINESE_SYLLABLE) for _ in range(rng.choice([1, 2])))
            given = given.capitalize()
            surname = _pick(rng, CHINESE_SURNAME)
            nationality = rng.choice(["CHN", "CHN", "TWN", "SGP", "HKG"])
        else:
            g_pool, s_pool, nats = pools[culture]
            given = _pick(rng, g_pool)
            if rng.random() < 0.3:
                given += " " + _pick(rng, g_pool)
            surname = rare_surname(rng, culture) or _pick(rng, s_pool)
            if culture == "hispanic":
                surname += " " + _pick(rng, s_pool)
            nationality = rng.choice(nats)
        primary = f"{given} {surname}"
        if rng.random() < 0.25:
            aliases.append(f"{given.split()[0]} {surname.split()[0]}")
        query_given, query_surname = given, surname
    return Person(
        given,
        surname,
        primary,
        aliases,
        mrz_style(query_given),
        mrz_style(query_surname),
        mrz_style(variant_given) if variant_given else None,
        mrz_style(variant_surname) if variant_surname else None,
        culture,
        nationality,
    )


def make_dates(rng: random.Random) -> tuple[dt.date, tuple[BirthDate, ...]]:
    """The person's real date of birth and what the list records of it."""
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))
    r = rng.random()
    if r < 0.60:
        listed: tuple[BirthDate, ...] = (BirthDate.exact(born),)
    elif r < 0.82:
        listed = (BirthDate.year(born.year),)
    elif r < 0.92:
        listed = (BirthDate.years(born.year - rng.randint(0, 2), born.year + rng.randint(1, 2)),)
    else:
        listed = ()
    if listed and rng.random() < 0.1:  # a second, wrong date, as lists often carry
        listed += (BirthDate.year(born.year + rng.choice([-3, -1, 2, 4])),)
    return born, listed


def build_list(n: int, rng: random.Random) -> tuple[SanctionsList, list[tuple[Person, dt.date]]]:
    entries = []
    people = []
    for i in range(n):
        person = make_person(rng)
        born, listed = make_dates(rng)
        entries.append(
            SanctionsEntry(
                source="bench",
                entry_id=f"B{i:06d}",
                entity_type=EntityType.PERSON,
                primary_name=person.primary,
                aliases=tuple(person.aliases),
                dates_of_birth=listed,
                nationalities=(person.nationality,) if rng.random() < 0.8 else (),
                programmes=("BENCH",),
            )
        )
        people.append((person, born))
    lst = SanctionsList.build(
        source="bench",
        format=ListFormat.FTM_JSONL,
        version="bench",
        published=dt.date(2025, 1, 1),
        entries=entries,
    )
    return lst, people


def typo(word: str, rng: random.Random) -> str:
    letters = "ABCDEFGHIJKLMNOPRSTUVWYZ"
    tokens = word.split()
    k = rng.randrange(len(tokens))
    t = tokens[k]
    if len(t) < 4:
        return word  # too short to damage and still be the same name
    i = rng.randrange(1, len(t) - 1)
    op = rng.choice(["sub", "del", "ins", "swap"])
    if op == "sub":
        t = t[:i] + rng.choice(letters.replace(t[i], "")) + t[i + 1 :]
    elif op == "del":
        t = t[:i] + t[i + 1 :]
    elif op == "ins":
        t = t[:i] + rng.choice(letters) + t[i:]
    else:
        t = t[: i - 1] + t[i] + t[i - 1] + t[i + 1 :]
    tokens[k] = t
    return " ".join(tokens)


# --- measurement -----------------------------------------------------------------------


@dataclass
class Query:
    """One screened query and what came back, reduced to what the table needs."""

    kind: str
    wall_ms: float
    cpu_ms: float
    target_hit: bool = False  # planted: the target entry reported as hit
    target_score: float | None = None  # planted: the target's combined score, if reported
    target_hit_with_dob: bool = False  # planted: the target's hit rests on a date of birth
    hit: bool = False  # the outcome is hit
    hit_with_dob: bool = False  # a hit that a date of birth corroborates
    best_review: float = 0.0  # highest combined score among review matches


KINDS = {
    "present": "present (passport spelling)",
    "typo": "typo (one edit in one token)",
    "transliterated": "transliterated (other scheme)",
    "absent": "absent, no listed homonym",
    "absent_homonym": "absent, exact listed homonym",
}
PLANTED = ("present", "typo", "transliterated")
THRESHOLDS = (0.80, 0.85, 0.90)
DEFAULTS = ScreeningOptions()


def _screen(screener: Screener, kind: str, subject: ScreeningSubject, target: str | None) -> Query:
    t0, c0 = time.perf_counter(), time.thread_time()
    result = screener.screen(subject)
    q = Query(kind, (time.perf_counter() - t0) * 1000.0, (time.thread_time() - c0) * 1000.0)
    hits = [m for m in result.matches if m.outcome is Outcome.HIT]
    q.hit = bool(hits)
    q.hit_with_dob = any(m.dob is not DobAgreement.NOT_LISTED for m in hits)
    q.best_review = max(
        (m.combined_score for m in result.matches if m.outcome is Outcome.REVIEW), default=0.0
    )
    for m in result.matches:
        if m.entry.entry_id == target:
            q.target_hit = m.outcome is Outcome.HIT
            q.target_hit_with_dob = q.target_hit and m.dob is not DobAgreement.NOT_LISTED
            q.target_score = m.combined_score
    return q


def _pct(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100)[p - 1] if len(values) > 1 else values[0]


def run(entries: int, seed: int, queries: int) -> int:
    rng = random.Random(seed)
    t = time.perf_counter()
    lst, people = build_list(entries, rng)
    gen_s = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    # Matches down to the lowest threshold of the sweep are kept; the defaults are applied below.
    screener = Screener.from_lists([lst], ScreeningOptions(review_threshold=min(THRESHOLDS)))
    build_s, build_cpu = time.perf_counter() - t, time.process_time() - c

    listed_names = set()  # token sets of every listed name, with and without patronymic
    for e in lst.entries:
        for n in (e.primary_name, *e.aliases):
            normalised = normalise_name(n)
            for form in (normalised, without_patronymic(normalised)):
                if form:
                    listed_names.add(frozenset(tok.text for tok in form.tokens))
    for _ in range(20):  # warm-up: the first query imports rapidfuzz
        p, born = people[rng.randrange(len(people))]
        screener.screen(ScreeningSubject(p.query_surname, p.query_given, born, p.nationality))
    done: list[Query] = []
    with_variants = [i for i, (p, _) in enumerate(people) if p.variant_surname]
    for k, idx in enumerate(rng.sample(range(len(people)), queries)):
        if k % 3 == 2:
            idx = rng.choice(with_variants)
        p, born = people[idx]
        target = lst.entries[idx].entry_id
        surname, given = p.query_surname, p.query_given
        if k % 3 == 0:
            kind = "present"
        elif k % 3 == 1:
            kind = "typo"
            if rng.random() < 0.5:
                surname = typo(surname, rng)
            else:
                given = typo(given, rng)
        else:
            kind = "transliterated"
            surname, given = p.variant_surname or "", p.variant_given or ""
        subject = ScreeningSubject(surname, given, born, p.nationality)
        done.append(_screen(screener, kind, subject, target))
    absent_rng = random.Random(seed + 1)
    for _ in range(queries):
        p = make_person(absent_rng)
        born, _ = make_dates(absent_rng)
        key = frozenset(t.text for t in normalise_name(f"{p.query_surname} {p.query_given}").tokens)
        kind = "absent_homonym" if key in listed_names else "absent"
        subject = ScreeningSubject(p.query_surname, p.query_given, born, p.nationality)
        done.append(_screen(screener, kind, subject, None))

    print(f"entries {entries}, distinct names indexed {screener.indexed_names}, seed {seed}")
    print(
        f"list generation {gen_s:.1f} s; screener build {build_s:.2f} s wall, "
        f"{build_cpu:.2f} s CPU (done once, at start-up)"
    )
    print()
    print("Latency per query (ms; wall clock, and this thread's CPU time, which other")
    print("processes on the machine do not inflate):")
    print(
        f"{'queries':<32} {'n':>4} {'median':>7} {'p95':>7} {'max':>7} "
        f"{'cpu med':>8} {'cpu p95':>8}"
    )
    for kind, label in [*KINDS.items(), ("all", "all")]:
        rows = [q for q in done if kind in ("all", q.kind)]
        if not rows:
            continue
        wall, cpu = [q.wall_ms for q in rows], [q.cpu_ms for q in rows]
        print(
            f"{label:<32} {len(rows):>4} {statistics.median(wall):>7.2f} {_pct(wall, 95):>7.2f} "
            f"{max(wall):>7.2f} {statistics.median(cpu):>8.2f} {_pct(cpu, 95):>8.2f}"
        )
    print()
    print("Outcomes at review_threshold t (hit needs the name and, by default, the date of birth;")
    print("'hit, strict' counts hits with hit_without_listed_dob=False):")
    print(
        f"{'queries':<32} {'n':>4} "
        + " ".join(f"{'t=' + format(t, '.2f'):>14}" for t in THRESHOLDS)
        + f" {'hit':>7} {'hit, strict':>12}"
    )
    print(f"{'':<32} {'':>4} " + " ".join(f"{'reported':>14}" for _ in THRESHOLDS))
    for kind, label in KINDS.items():
        rows = [q for q in done if q.kind == kind]
        if not rows:
            continue
        n = len(rows)
        cells = []
        for thr in THRESHOLDS:
            if kind in PLANTED:
                hit = sum(q.target_hit or (q.target_score or 0.0) >= thr for q in rows)
            else:
                hit = sum(q.hit or q.best_review >= thr for q in rows)
            cells.append(f"{hit / n:>14.1%}")
        if kind in PLANTED:
            hits = sum(q.target_hit for q in rows) / n
            strict = sum(q.target_hit_with_dob for q in rows) / n
        else:
            hits = sum(q.hit for q in rows) / n
            strict = sum(q.hit_with_dob for q in rows) / n
        print(f"{label:<32} {n:>4} " + " ".join(cells) + f" {hits:>7.1%} {strict:>12.1%}")
    planted = [q for q in done if q.kind in PLANTED]
    absent = [q for q in done if q.kind not in PLANTED]
    wall_all = [q.wall_ms for q in done]
    cpu_all = [q.cpu_ms for q in done]
    print()
    t_default = DEFAULTS.review_threshold
    print(
        f"Summary at the defaults (review_threshold {t_default:.2f}, "
        f"hit_without_listed_dob={DEFAULTS.hit_without_listed_dob}):"
    )
    recall = sum(q.target_hit or (q.target_score or 0.0) >= t_default for q in planted)
    print(
        f"  recall on planted variants (reported as review or hit): "
        f"{recall / len(planted):.1%} of {len(planted)}"
    )
    hits = sum(q.hit for q in absent)
    reviews = sum((not q.hit) and q.best_review >= t_default for q in absent)
    print(
        f"  false-hit rate on absent names: {hits / len(absent):.1%} of {len(absent)} "
        f"(with a date of birth corroborating: "
        f"{sum(q.hit_with_dob for q in absent) / len(absent):.1%}); "
        f"reported for review: {reviews / len(absent):.1%}"
    )
    verdict = "meets" if _pct(wall_all, 95) <= 50.0 else "MISSES"
    print(
        f"  latency target <= 50 ms: p95 {_pct(wall_all, 95):.1f} ms wall "
        f"({_pct(cpu_all, 95):.1f} ms CPU), {verdict} the target"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--queries", type=int, default=300, help="planted queries (and as many absent ones)"
    )
    args = parser.parse_args(argv)
    return run(args.entries, args.seed, args.queries)


if __name__ == "__main__":
    sys.exit(main())
