"""Code tables of the health-card specifications, typed and immutable.

Every entry says whether its code is ``confirmed`` by a public source (follow exactly) or
``kit-defined`` (the public material has no value; the kit chose one, listed in
docs/assumptions.md). Kit-defined codes sit in clearly marked ranges so they can be swapped for
official values without touching confirmed ones:

* 诊疗环节 (medical steps): kit steps are ``0190xx``.
* 用卡环节 (scenes): kit scenes under a confirmed step use the sub-step digits 7, 8, 9; kit scenes
  under a kit step use 1, 2, ….
* Standard departments: kit codes follow the 《医疗机构诊疗科目名录》 numbering for clinical
  subjects and ``57xx``–``69xx`` for service points.
* Card media (the kit's own table): everything except ``11`` (e-card QR) is kit-defined.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ehc.errors import CODE_UNKNOWN, EhcError

__all__ = [
    "Code",
    "Scene",
    "MedicalStep",
    "Department",
    "CardMedium",
    "CodeTable",
    "ALL_TABLES",
    "DOCUMENT_TYPES",
    "STAGES",
    "MEDICAL_STEPS",
    "SCENES",
    "CHANNELS",
    "TERMINAL_TYPES",
    "USAGE_CARD_TYPES",
    "PAYMENT_CATEGORIES",
    "VISIT_TYPES",
    "DEPARTMENT_TYPES",
    "DEPARTMENTS",
    "SEXES",
    "NATIONS",
    "APPLICATION_MODES",
    "CARD_ATTRIBUTES",
    "CARD_STATUSES",
    "ACCOUNT_STATUSES",
    "QR_COLOURS",
    "QR_CODE_TYPES",
    "CARD_MEDIA",
    "ORG_LEVELS",
    "scenes_of_stage",
    "scenes_of_step",
]


@dataclass(frozen=True, slots=True)
class Code:
    """One code: the value as sent on the wire, its Chinese and English names."""

    code: str
    zh: str
    en: str
    confirmed: bool = True  # False = kit-defined (see docs/assumptions.md)
    note: str = ""

    def __post_init__(self) -> None:
        if not self.confirmed and not self.note:
            # Every kit-defined code says so, wherever it is printed.
            object.__setattr__(self, "note", _KIT_NOTE)

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class MedicalStep(Code):
    """A 6-digit 诊疗环节 code and the full-process stage it belongs to."""

    stage: str = field(default="other", kw_only=True)


@dataclass(frozen=True, slots=True)
class Scene(Code):
    """A 7-digit 用卡环节 code = 6-digit step + 1-digit sub-step, and its full-process stage."""

    step: str = field(default="", kw_only=True)
    stage: str = field(default="other", kw_only=True)

    @property
    def stage_name(self) -> str:
        """The seed's Chinese name of the full-process stage, e.g. "检验"."""
        return STAGES[self.stage].zh


@dataclass(frozen=True, slots=True)
class Department(Code):
    """A 4-digit standard department code and its department type (DEPARTMENT_TYPES)."""

    dept_type: str = field(default="10", kw_only=True)


@dataclass(frozen=True, slots=True)
class CardMedium(Code):
    """An identity medium a terminal can read; ``form`` says how it is read and ``document_type``
    which CV02.01.101 document the identifier it yields belongs to ('' when none)."""

    form: str = field(default="other", kw_only=True)
    document_type: str = field(default="", kw_only=True)


C = TypeVar("C", bound=Code)
_KIT_NOTE = "kit-defined: no public value; see docs/assumptions.md"


class CodeTable(Mapping[str, C], Generic[C]):
    """An ordered, immutable code table: ``table["01"]``, ``"01" in table``, ``table.require("01")``.

    Iteration yields codes (keys) in table order; ``.entries()`` yields the Code objects.
    """

    __slots__ = ("name", "source", "_by_code")

    def __init__(self, name: str, source: str, entries: Iterable[C]) -> None:
        self.name = name
        self.source = source
        by_code: dict[str, C] = {}
        for entry in entries:
            if entry.code in by_code:
                raise ValueError(f"{name}: duplicate code {entry.code}")
            by_code[entry.code] = entry
        self._by_code = by_code

    def __getitem__(self, code: str) -> C:
        return self._by_code[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_code)

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._by_code

    def __repr__(self) -> str:
        return f"CodeTable({self.name!r}, {len(self)} codes)"

    def require(self, code: str) -> C:
        """The entry for ``code``; raises EhcError(CODE_UNKNOWN) when the table has no such code."""
        entry = self._by_code.get(code) if isinstance(code, str) else None
        if entry is None:
            raise EhcError(CODE_UNKNOWN, f"{code!r} is not a {self.name} code", table=self.name)
        return entry

    def entries(self) -> tuple[C, ...]:
        return tuple(self._by_code.values())

    def confirmed(self) -> tuple[C, ...]:
        return tuple(e for e in self._by_code.values() if e.confirmed)

    def kit_defined(self) -> tuple[C, ...]:
        return tuple(e for e in self._by_code.values() if not e.confirmed)

    def by_name(self, name: str) -> C:
        """The entry whose Chinese or English name is ``name`` (readers that print names, e.g.
        "汉" or "汉族" on an ID card); raises EhcError(CODE_UNKNOWN)."""
        for entry in self._by_code.values():
            if name in (entry.zh, entry.en) or (name and entry.zh == name + "族"):
                return entry
        raise EhcError(CODE_UNKNOWN, f"no {self.name} named {name!r}", table=self.name)

    def zh(self, code: str) -> str:
        return self.require(code).zh

    def en(self, code: str) -> str:
        return self.require(code).en


def _table(name: str, source: str, rows: Iterable[tuple[Any, ...]]) -> CodeTable[Code]:
    return CodeTable(name, source, (Code(*row) for row in rows))


KIT = False  # readability: Code(..., KIT) marks a kit-defined code

# ------------------------------------------------------------------------------------------------
DOCUMENT_TYPES = _table(
    "document type",
    "CV02.01.101",
    [
        ("01", "居民身份证", "resident identity card"),
        ("02", "居民户口簿", "household register"),
        ("03", "护照", "passport"),
        ("04", "军官证", "military officer card"),
        ("05", "驾驶证", "driving licence"),
        ("06", "港澳居民来往内地通行证", "Hong Kong/Macao resident mainland travel permit"),
        ("07", "台湾居民来往内地通行证", "Taiwan resident mainland travel permit"),
        ("08", "出生医学证明", "medical birth certificate"),
        ("99", "其他法定有效证件", "other legal document"),
    ],
)

# Full-process stages named by seed 001 (挂号, 排队, 就诊, 收费, 检验, 检查, 取药, 住院, 体检) + other.
# The codes are the kit's own English keys (the seeds name stages, they do not code them).
STAGES = CodeTable(
    "full-process stage",
    "seed 001 (Jining 2021); keys kit-defined",
    [
        Code("registration", "挂号", "registration", KIT),
        Code("queueing", "排队", "queueing", KIT),
        Code("consultation", "就诊", "consultation", KIT),
        Code("payment", "收费", "payment", KIT),
        Code("lab", "检验", "laboratory test", KIT),
        Code("imaging", "检查", "examination / imaging", KIT),
        Code("pharmacy", "取药", "pharmacy", KIT),
        Code("inpatient", "住院", "inpatient care", KIT),
        Code("physical_exam", "体检", "physical examination", KIT),
        Code("other", "其他", "other", KIT),
    ],
)

MEDICAL_STEPS = CodeTable(
    "medical step (诊疗环节)",
    "e-card terminal interface (public client code); 0190xx kit-defined",
    [
        MedicalStep("010101", "挂号", "registration", stage="registration"),
        MedicalStep("010102", "诊断", "diagnosis", stage="consultation"),
        MedicalStep("010103", "取药", "dispensing", stage="pharmacy"),
        MedicalStep("010104", "检查", "examination", stage="imaging"),
        MedicalStep("010105", "收费", "payment", stage="payment"),
        MedicalStep("010106", "开方", "prescribing", stage="consultation"),
        MedicalStep("010107", "手术", "surgery", stage="inpatient"),
        MedicalStep(
            "010108",
            "报告查询",
            "report query",
            KIT,
            "code seen only as the prefix of scenes 0101081/0101082 (report queries); name inferred",
            stage="lab",
        ),
        MedicalStep("010109", "住院", "inpatient", True, "seen in one public client", stage="inpatient"),
        MedicalStep("019001", "排队候诊", "queueing", KIT, _KIT_NOTE, stage="queueing"),
        MedicalStep("019002", "检验", "laboratory test", KIT, _KIT_NOTE, stage="lab"),
        MedicalStep("019003", "体检", "physical examination", KIT, _KIT_NOTE, stage="physical_exam"),
        MedicalStep("019004", "公共卫生服务", "public-health service", KIT, _KIT_NOTE, stage="other"),
        MedicalStep("000000", "其他", "other", stage="other"),
    ],
)


def _scene(code: str, zh: str, en: str, stage: str, confirmed: bool = True, note: str = "") -> Scene:
    return Scene(
        code, zh, en, confirmed, note or ("" if confirmed else _KIT_NOTE), step=code[:6], stage=stage
    )


SCENES = CodeTable(
    "scene (用卡环节)",
    "e-card usage report (public client code); structure step+sub-step inferred; kit scenes marked",
    [
        # 挂号 registration
        _scene("0101011", "预约挂号", "appointment booking", "registration"),
        _scene("0101012", "当日挂号", "same-day registration", "registration"),
        _scene("0101013", "挂号记录/查询", "registration record / query", "registration"),
        _scene("0101014", "预约导诊", "appointment guidance", "registration"),
        _scene("0101019", "预约取号/签到", "appointment check-in", "registration", KIT),
        # 排队 queueing
        _scene("0190011", "分诊候诊签到", "triage / queue check-in", "queueing", KIT),
        _scene("0190012", "叫号候诊查询", "queue status query", "queueing", KIT),
        # 就诊 consultation
        _scene("0101029", "门诊接诊", "outpatient consultation (doctor reads card)", "consultation", KIT),
        _scene("0101028", "急诊接诊", "emergency consultation", "consultation", KIT),
        _scene("0101069", "开具处方/医嘱", "prescribing / orders", "consultation", KIT),
        # 收费 payment
        _scene("0101051", "门诊缴费(待缴)", "outpatient payment (due)", "payment"),
        _scene("0101052", "门诊缴费(已缴)", "outpatient payment (paid)", "payment"),
        _scene("0101053", "住院缴费", "inpatient payment", "payment"),
        _scene("0101059", "诊间支付", "in-room payment", "payment", KIT),
        # 检验 laboratory
        _scene("0190021", "检验采样", "specimen collection", "lab", KIT),
        _scene("0101081", "查检验报告", "lab report query", "lab"),
        # 检查 examination / imaging
        _scene("0101049", "检查登记报到", "examination check-in", "imaging", KIT),
        _scene("0101082", "查检查报告", "examination report query", "imaging"),
        # 取药 pharmacy
        _scene("0101039", "药房取药", "pharmacy dispensing", "pharmacy", KIT),
        # 住院 inpatient
        _scene("0101099", "入院登记", "admission", "inpatient", KIT),
        _scene("0101098", "住院床旁识读", "bedside identification", "inpatient", KIT),
        _scene("0101097", "出院办理", "discharge", "inpatient", KIT),
        _scene("0101079", "手术核对", "surgical identity check", "inpatient", KIT),
        # 体检 physical examination
        _scene("0190031", "体检登记", "physical-exam check-in", "physical_exam", KIT),
        _scene("0190032", "体检报告查询", "physical-exam report query", "physical_exam", KIT),
        # other
        _scene("0190041", "预防接种", "immunisation", "other", KIT),
        _scene("0190042", "妇幼保健", "maternal and child care", "other", KIT),
        # public services on the card (seeds 000, 002, 003; kit codes, profile `public_services`)
        _scene("0190043", "健康档案/病历查询", "health record / medical record query", "other", KIT),
        _scene("0190044", "家庭医生签约", "family-doctor signing", "other", KIT),
        _scene("0000009", "其他", "other", "other", KIT),
    ],
)

CHANNELS = _table(
    "card-use channel",
    "e-card usage report",
    [
        ("0100", "人工窗口", "staffed window"),
        ("0200", "自助机", "self-service kiosk"),
        ("0300", "医生工作台", "doctor's workstation"),
        ("0401", "服务号", "service account (WeChat)"),
        ("0402", "小程序", "mini-program"),
        ("0403", "移动应用APP", "mobile app", KIT),
        ("0500", "移动终端(4G)", "mobile / 4G terminal (village clinic)", KIT),
        ("9900", "其他", "other", KIT),
    ],
)

TERMINAL_TYPES = _table(
    "terminal type",
    "e-card verify interface",
    [
        ("01", "人工窗口", "staffed window"),
        ("02", "自助机", "self-service kiosk"),
        ("03", "医生工作站", "doctor's workstation", KIT),
        ("04", "移动终端", "mobile / 4G terminal", KIT),
        # H7: the node lets only a terminal registered with this type relay for other terminals
        ("98", "前置服务器", "hospital front-end server (relays for the hospital's terminals)", KIT),
        ("99", "其他", "other"),
    ],
)

PAYMENT_CATEGORIES = _table(
    "payment category",
    "e-card usage report",
    [
        ("0100", "自费", "self-pay"),
        ("0200", "医保", "medical insurance"),
        ("0300", "公费", "publicly funded"),
        ("0000", "其他", "other"),
    ],
)

VISIT_TYPES = _table(
    "visit type",
    "e-card usage report",
    [
        ("I", "住院", "inpatient"),
        ("O", "门诊", "outpatient"),
        ("E", "急诊", "emergency"),
        ("H", "体检", "physical examination"),
        ("T", "其它", "other"),
    ],
)

DEPARTMENT_TYPES = _table(
    "department type",
    "e-card usage report",
    [
        ("1", "挂号", "registration"),
        ("2", "收费", "cashier"),
        ("3", "门诊", "outpatient"),
        ("4", "住院", "inpatient"),
        ("5", "检查", "examination"),
        ("6", "检验", "laboratory"),
        ("7", "处置治疗", "treatment"),
        ("8", "药房", "pharmacy"),
        ("9", "手术麻醉", "surgery / anaesthesia"),
        ("10", "其它", "other"),
    ],
)

_DIR = "kit-defined after 《医疗机构诊疗科目名录》 numbering (subject + 2-digit sub-subject)"
_SVC = "kit-defined service point (57xx-69xx kit range)"
DEPARTMENTS = CodeTable(
    "standard department",
    "e-card usage report (listed codes); others kit-defined",
    [
        Department("0100", "预防保健科", "preventive care", dept_type="3"),
        Department("0200", "全科医疗科", "general practice", KIT, _DIR, dept_type="3"),
        Department("0300", "内科", "internal medicine", dept_type="3"),
        Department("0301", "呼吸内科", "respiratory medicine", dept_type="3"),
        Department("0302", "消化内科", "gastroenterology", KIT, _DIR, dept_type="3"),
        Department("0303", "神经内科", "neurology", KIT, _DIR, dept_type="3"),
        Department("0304", "心血管内科", "cardiology", KIT, _DIR, dept_type="3"),
        Department("0307", "内分泌科", "endocrinology", KIT, _DIR, dept_type="3"),
        Department("0400", "外科", "surgery", KIT, _DIR, dept_type="3"),
        Department("0403", "骨科", "orthopaedics", KIT, _DIR, dept_type="3"),
        Department("0500", "妇产科", "obstetrics and gynaecology", KIT, _DIR, dept_type="3"),
        Department("0700", "儿科", "paediatrics", KIT, _DIR, dept_type="3"),
        Department("0900", "儿童保健科", "child health care", KIT, _DIR, dept_type="3"),
        Department("1000", "眼科", "ophthalmology", KIT, _DIR, dept_type="3"),
        Department("1100", "耳鼻咽喉科", "otorhinolaryngology", KIT, _DIR, dept_type="3"),
        Department("1200", "口腔科", "stomatology", KIT, _DIR, dept_type="3"),
        Department("1300", "皮肤科", "dermatology", KIT, _DIR, dept_type="3"),
        Department("1600", "传染科", "infectious diseases", KIT, _DIR, dept_type="3"),
        Department("2000", "急诊医学科", "emergency medicine", KIT, _DIR, dept_type="3"),
        Department("2100", "康复医学科", "rehabilitation", KIT, _DIR, dept_type="7"),
        Department("2600", "麻醉科", "anaesthesiology", KIT, _DIR, dept_type="9"),
        Department("2800", "重症医学科", "intensive care", KIT, _DIR, dept_type="4"),
        Department("3000", "医学检验科", "laboratory medicine", KIT, _DIR, dept_type="6"),
        Department("3100", "病理科", "pathology", KIT, _DIR, dept_type="6"),
        Department("3200", "医学影像科", "medical imaging / radiology", KIT, _DIR, dept_type="5"),
        Department("5000", "中医科", "traditional Chinese medicine", KIT, _DIR, dept_type="3"),
        Department("5500", "挂号处", "registration office", dept_type="1"),
        Department("5600", "收费处", "cashier", dept_type="2"),
        Department("5700", "药剂科(药房)", "pharmacy", KIT, _SVC, dept_type="8"),
        Department("5800", "住院处", "admission office", KIT, _SVC, dept_type="4"),
        Department("5900", "体检中心", "physical-examination centre", KIT, _SVC, dept_type="5"),
        Department("6000", "导诊服务台", "guidance desk", KIT, _SVC, dept_type="10"),
        Department("6100", "预防接种门诊", "immunisation clinic", KIT, _SVC, dept_type="7"),
        Department("9900", "其他", "other", dept_type="10"),
    ],
)

SEXES = _table(
    "sex",
    "GB/T 2261.1",
    [
        ("0", "未知", "unknown", True, "GB/T 2261.1 name: 未知的性别"),
        ("1", "男", "male", True, "GB/T 2261.1 name: 男性"),
        ("2", "女", "female", True, "GB/T 2261.1 name: 女性"),
        ("9", "未说明", "not stated", True, "GB/T 2261.1 name: 未说明的性别"),
    ],
)

_NATIONS = """01 汉族 Han|02 蒙古族 Mongol|03 回族 Hui|04 藏族 Tibetan|05 维吾尔族 Uyghur|06 苗族 Miao|07 彝族 Yi
|08 壮族 Zhuang|09 布依族 Buyei|10 朝鲜族 Korean|11 满族 Manchu|12 侗族 Dong|13 瑶族 Yao|14 白族 Bai
|15 土家族 Tujia|16 哈尼族 Hani|17 哈萨克族 Kazakh|18 傣族 Dai|19 黎族 Li|20 傈僳族 Lisu|21 佤族 Va
|22 畲族 She|23 高山族 Gaoshan|24 拉祜族 Lahu|25 水族 Sui|26 东乡族 Dongxiang|27 纳西族 Naxi
|28 景颇族 Jingpo|29 柯尔克孜族 Kirgiz|30 土族 Tu|31 达斡尔族 Daur|32 仫佬族 Mulao|33 羌族 Qiang
|34 布朗族 Blang|35 撒拉族 Salar|36 毛南族 Maonan|37 仡佬族 Gelao|38 锡伯族 Xibe|39 阿昌族 Achang
|40 普米族 Pumi|41 塔吉克族 Tajik|42 怒族 Nu|43 乌孜别克族 Uzbek|44 俄罗斯族 Russian|45 鄂温克族 Evenki
|46 德昂族 De'ang|47 保安族 Bonan|48 裕固族 Yugur|49 京族 Gin|50 塔塔尔族 Tatar|51 独龙族 Derung
|52 鄂伦春族 Oroqen|53 赫哲族 Hezhen|54 门巴族 Monba|55 珞巴族 Lhoba|56 基诺族 Jino"""

NATIONS = CodeTable(
    "nation (民族)",
    "GB 3304-1991",
    [
        *(
            Code(code, zh, en)
            for code, zh, en in (i.split(" ", 2) for i in _NATIONS.replace("\n", "").split("|"))
        ),
        Code("97", "其他未识别民族", "other (unrecognised)", KIT, "GB 3304 value; not listed in the digest"),
        Code(
            "98",
            "外国血统中国籍人士",
            "Chinese citizen of foreign origin",
            KIT,
            "GB 3304 value; not in the digest",
        ),
        Code("99", "未说明", "not stated", True, "code confirmed; name chosen by the kit"),
    ],
)

APPLICATION_MODES = _table(
    "application mode",
    "national e-card register interface",
    [
        ("1", "APP/公众号在线申领", "online in an app / service account"),
        ("2", "自助机申领", "self-service kiosk"),
        ("3", "窗口申领", "staffed window"),
        ("4", "批量预生成", "batch pre-generation"),
        ("5", "新生儿登记(助产机构)", "newborn registration at a delivery institution", KIT),
        ("6", "银医卡/就诊卡转换", "conversion of a bank-hospital or hospital card", KIT),
    ],
)

CARD_ATTRIBUTES = _table(
    "card attribute",
    "Shandong e-card interface",
    [("1", "临时卡", "temporary card"), ("2", "正式卡", "formal card")],
)

CARD_STATUSES = _table(
    "card status",
    "Shandong e-card interface",
    [
        ("1", "正常", "active"),
        ("2", "暂停", "suspended"),
        ("3", "注销", "cancelled", KIT),
    ],
)

ACCOUNT_STATUSES = _table(
    "account status",
    "one provincial interface",
    [
        ("0", "注销", "cancelled"),
        ("1", "正常", "active"),
        ("2", "待审核", "pending review"),
        ("3", "审核未通过", "review rejected"),
        ("4", "已认证", "verified"),
        ("5", "未注册", "not registered"),
    ],
)

QR_COLOURS = _table(
    "QR colour",
    "provincial platforms (health-pass colours)",
    [
        ("0", "黑色(未申报)", "black (not declared)"),
        ("1", "绿色", "green"),
        ("2", "黄色", "yellow"),
        ("3", "红色", "red"),
    ],
)

QR_CODE_TYPES = _table(
    "QR code type",
    "national e-card QR text",
    [("0", "动态码", "dynamic"), ("1", "静态码", "static")],
)

CARD_MEDIA = CodeTable(
    "card medium",
    "kit table; 11 confirmed as the e-card card type of usage reports",
    [
        CardMedium("11", "电子健康卡二维码", "electronic health card QR code", form="qr"),
        CardMedium(
            "10", "居民健康卡(CPU卡)", "resident health card (CPU chip)", KIT, form="chip", document_type="01"
        ),
        CardMedium("12", "临时电子健康卡(电子就诊卡)", "temporary e-card", KIT, form="qr"),
        CardMedium(
            "20",
            "居民身份证(芯片读取)",
            "citizen ID card (chip read)",
            KIT,
            form="contactless",
            document_type="01",
        ),
        CardMedium(
            "21",
            "居民身份证号(手工录入)",
            "citizen ID number typed in",
            KIT,
            form="manual",
            document_type="01",
        ),
        CardMedium(
            "22", "电子身份证/网证", "electronic citizen ID (CTID)", KIT, form="qr", document_type="01"
        ),
        CardMedium("30", "社会保障卡", "social security card", KIT, form="chip", document_type="01"),
        CardMedium(
            "31", "电子社保卡二维码", "electronic social security card QR", KIT, form="qr", document_type="01"
        ),
        CardMedium(
            "32", "医保电子凭证", "medical-insurance e-voucher QR", KIT, form="qr", document_type="01"
        ),
        CardMedium("40", "银行卡(金融IC卡健康应用)", "bank card with health application", KIT, form="chip"),
        CardMedium("41", "银联云闪付码", "UnionPay QuickPass code", KIT, form="qr"),
        CardMedium("50", "市民卡", "citizen card (city card)", KIT, form="chip"),
        CardMedium("60", "微信关联码", "WeChat-linked code", KIT, form="qr"),
        CardMedium("61", "支付宝关联码", "Alipay-linked code", KIT, form="qr"),
        CardMedium(
            "70", "出生医学证明", "medical birth certificate", KIT, form="document", document_type="08"
        ),
        CardMedium("80", "医院就诊卡(旧)", "legacy hospital patient card", KIT, form="magstripe"),
        CardMedium("90", "护照", "passport", KIT, form="document", document_type="03"),
        CardMedium(
            "91", "港澳居民来往内地通行证", "HK/Macao travel permit", KIT, form="document", document_type="06"
        ),
        CardMedium(
            "92", "台湾居民来往内地通行证", "Taiwan travel permit", KIT, form="document", document_type="07"
        ),
        CardMedium("99", "其他证件", "other document", KIT, form="document", document_type="99"),
    ],
)

# The card-type field of usage reports uses the kit's media table: "11" is the confirmed e-card
# value; one province sends 0/1 for physical cards, which an adapter maps to "10".
USAGE_CARD_TYPES = CARD_MEDIA

ORG_LEVELS = _table(
    "organisation level",
    "kit-defined (seed 000 names the tiers)",
    [
        ("3", "三级医疗机构", "tertiary hospital", KIT),
        ("2", "二级医疗机构", "secondary hospital", KIT),
        ("1", "一级/基层医疗机构(乡镇卫生院、社区卫生服务中心)", "primary care institution", KIT),
        ("0", "村卫生室", "village clinic", KIT),
        ("9", "其他(公共卫生机构等)", "other (public-health institution etc.)", KIT),
    ],
)

ALL_TABLES: dict[str, CodeTable[Code]] = {
    "DOCUMENT_TYPES": DOCUMENT_TYPES,
    "STAGES": STAGES,
    "MEDICAL_STEPS": MEDICAL_STEPS,  # type: ignore[dict-item]
    "SCENES": SCENES,  # type: ignore[dict-item]
    "CHANNELS": CHANNELS,
    "TERMINAL_TYPES": TERMINAL_TYPES,
    "PAYMENT_CATEGORIES": PAYMENT_CATEGORIES,
    "VISIT_TYPES": VISIT_TYPES,
    "DEPARTMENT_TYPES": DEPARTMENT_TYPES,
    "DEPARTMENTS": DEPARTMENTS,  # type: ignore[dict-item]
    "SEXES": SEXES,
    "NATIONS": NATIONS,
    "APPLICATION_MODES": APPLICATION_MODES,
    "CARD_ATTRIBUTES": CARD_ATTRIBUTES,
    "CARD_STATUSES": CARD_STATUSES,
    "ACCOUNT_STATUSES": ACCOUNT_STATUSES,
    "QR_COLOURS": QR_COLOURS,
    "QR_CODE_TYPES": QR_CODE_TYPES,
    "CARD_MEDIA": CARD_MEDIA,  # type: ignore[dict-item]
    "ORG_LEVELS": ORG_LEVELS,
}


def scenes_of_stage(stage: str) -> tuple[Scene, ...]:
    """Every scene of a full-process stage (a STAGES code), in table order."""
    STAGES.require(stage)
    return tuple(s for s in SCENES.values() if s.stage == stage)


def scenes_of_step(step: str) -> tuple[Scene, ...]:
    """Every scene under a 6-digit medical step."""
    MEDICAL_STEPS.require(step)
    return tuple(s for s in SCENES.values() if s.step == step)
