"""The demo region's words: Changsha's districts (where each lies, its
estates and roads), residents' names and mobile numbers, suppliers, and a
catalogue of everyday group-buying goods with their units, weights and case
packs."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from fulfilment.campaigns.catalog import ProductDraft
from fulfilment.campaigns.models import StorageZone


@dataclass(frozen=True)
class District:
    """A district of the demo city: its centre (WGS-84, approximate) and the
    estates and roads of its own that a point there is named after."""

    name: str
    centre: tuple[float, float]
    estates: tuple[str, ...]
    roads: tuple[str, ...]


# Changsha's districts, each at roughly its real place around the centre the
# demo's points are spread about (city_day's (28.2282, 112.9388), ±15 km):
# a point takes the name of the nearest centre, so a cluster of neighbours
# shares a district (two at most where it straddles a border).
DISTRICTS = (
    District("岳麓区", (28.2150, 112.8850),
             ("桃子湖", "梅溪湖", "洋湖", "麓谷", "枫林", "望月湖", "阜埠河", "观沙岭"),
             ("麓山路", "枫林一路", "岳麓大道", "桐梓坡路", "潇湘中路", "银盆南路")),
    District("望城区", (28.3400, 112.8400),
             ("金星", "高塘岭", "月亮岛", "丁字湾", "白沙洲", "斑马湖"),
             ("金星北路", "雷锋大道", "郭亮路", "普瑞大道", "旺旺路")),
    District("开福区", (28.2750, 112.9850),
             ("湘江世纪城", "四方坪", "月湖", "伍家岭", "新河", "马栏山", "洪山"),
             ("湘江北路", "芙蓉北路", "三一大道", "中山路", "营盘路", "福城路")),
    District("芙蓉区", (28.2000, 113.0200),
             ("马王堆", "东屯渡", "火星", "朝阳", "定王台", "万家丽"),
             ("五一大道", "人民东路", "八一路", "远大路", "解放东路", "韶山北路")),
    District("天心区", (28.1350, 112.9750),
             ("书院路", "侯家塘", "南湖", "坡子街", "暮云", "青园"),
             ("书院路", "劳动西路", "芙蓉南路", "湘府西路", "城南路", "友谊路")),
    District("雨花区", (28.1400, 113.0400),
             ("东塘", "左家塘", "圭塘", "黎托", "洞井", "德思勤", "砂子塘", "喜盈门"),
             ("韶山中路", "劳动东路", "万家丽中路", "香樟路", "曙光中路", "圭白路")),
    District("长沙县", (28.2500, 113.0800),
             ("星沙", "泉塘", "榔梨", "黄花", "湘龙", "松雅湖"),
             ("开元路", "星沙大道", "东八线", "滨湖路", "望仙路")),
)  # fmt: skip
ESTATE_KINDS = ("小区", "花园", "社区", "家园", "新村", "公寓")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国红梅兰春燕志文"
# Mainland mobile number prefixes in real use (China Mobile, Unicom, Telecom).
MOBILE_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158",
    "159", "178", "182", "183", "187", "188", "130", "131", "132", "155", "156", "166",
    "175", "176", "185", "186", "133", "149", "153", "173", "177", "180", "181", "189",
    "191", "199",
)  # fmt: skip


def nearest_district(lat: float, lon: float) -> District:
    """The district whose centre is nearest (an equirectangular distance:
    exact enough across one city)."""
    scale = math.cos(math.radians(lat))
    return min(
        DISTRICTS,
        key=lambda d: (d.centre[0] - lat) ** 2 + ((d.centre[1] - lon) * scale) ** 2,
    )


class People:
    """Plausible residents: distinct names (a surname and one or two given
    characters) and distinct 11-digit mobile numbers with real prefixes."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._names: set[str] = set()
        self._phones: set[str] = set()

    def name(self, *, unique: bool = True) -> str:
        """A name; ``unique`` ones are never handed out twice (there are some
        35,000 to draw from, the large demo asks for 600)."""
        rng = self._rng
        while True:
            given = "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
            name = rng.choice(SURNAMES) + given
            if not unique or name not in self._names:
                self._names.add(name)
                return name

    def phone(self) -> str:
        """A mobile number not handed out before (users' phones are unique)."""
        while True:
            phone = self._rng.choice(MOBILE_PREFIXES) + f"{self._rng.randrange(10**8):08d}"
            if phone not in self._phones:
                self._phones.add(phone)
                return phone


# Suppliers, each with the categories it sells: a specialist per trade when
# the region has eight suppliers, fewer and broader wholesalers when it has
# four. Every category has exactly one supplier in each set.
SupplierSpec = tuple[str, str, tuple[str, ...]]
SUPPLIERS: dict[int, tuple[SupplierSpec, ...]] = {
    8: (
        ("湘农果蔬", "刘经理", ("水果", "蔬菜")),
        ("宁乡花猪肉联", "周经理", ("肉禽",)),
        ("洞庭湖水产", "何经理", ("水产",)),
        ("浏阳河粮油", "彭经理", ("粮油",)),
        ("星城乳品蛋业", "谢经理", ("蛋奶",)),
        ("长沙味道预制菜", "曾经理", ("预制菜",)),
        ("湘江日化百货", "罗经理", ("日用",)),
        ("麓山零食坊", "唐经理", ("零食", "酒水")),
    ),
    4: (
        ("湘农果蔬", "刘经理", ("水果", "蔬菜")),
        ("星城生鲜冻品", "周经理", ("肉禽", "水产", "蛋奶", "预制菜")),
        ("浏阳河粮油副食", "彭经理", ("粮油", "零食", "酒水")),
        ("湘江日化百货", "罗经理", ("日用",)),
    ),
}


def group_price_fen(cost_fen: int) -> int:
    """About a third over cost, ending in 9 fen like shop prices do."""
    return (cost_fen * 4 // 3) // 10 * 10 + 9


def list_price_fen(group_price: int) -> int:
    return (group_price * 13 // 10) // 10 * 10 + 9


A, C, F = StorageZone.AMBIENT, StorageZone.CHILLED, StorageZone.FROZEN
# category: (zone, [(name, unit, grams, ml, case pack, cost fen), ...])
_CATALOGUE: dict[str, tuple[StorageZone, list[tuple[str, str, int, int, int, int]]]] = {
    "水果": (A, [
        ("麻阳冰糖橙", "2.5kg/箱", 2600, 6000, 6, 1650),
        ("炎陵黄桃", "1.5kg/盒", 1600, 3500, 8, 2200),
        ("湘西猕猴桃", "12个/盒", 1300, 3000, 10, 1590),
        ("海南香蕉", "1kg/把", 1050, 2500, 12, 520),
        ("烟台红富士", "2kg/袋", 2050, 4500, 8, 1180),
        ("云南蓝莓", "125g×2盒", 280, 800, 24, 1390),
        ("新疆哈密瓜", "1个/约2kg", 2100, 4000, 6, 990),
        ("赣南脐橙", "3kg/箱", 3100, 7000, 5, 1790),
        ("广西沃柑", "2.5kg/箱", 2600, 6000, 6, 1490),
        ("丹东草莓", "500g/盒", 550, 1500, 16, 1990),
        ("大连樱桃", "500g/盒", 530, 1200, 16, 3990),
        ("福建蜜柚", "2个/袋", 2400, 5000, 6, 1090),
    ]),
    "蔬菜": (C, [
        ("本地小白菜", "500g/袋", 510, 1500, 30, 150),
        ("宁乡西红柿", "1kg/袋", 1020, 2000, 20, 420),
        ("湘潭黄瓜", "1kg/袋", 1020, 2200, 20, 360),
        ("衡东土豆", "2kg/袋", 2030, 3000, 12, 390),
        ("长沙红菜苔", "500g/把", 510, 1500, 30, 350),
        ("攸县香干", "400g/袋", 410, 600, 30, 560),
        ("望城莲藕", "1kg/袋", 1030, 2000, 16, 690),
        ("山东大葱", "1kg/捆", 1020, 3000, 20, 330),
        ("湖南辣椒", "500g/袋", 510, 1500, 30, 480),
        ("本地茄子", "1kg/袋", 1020, 2500, 20, 380),
        ("有机菠菜", "400g/袋", 410, 1200, 30, 450),
        ("农家鲜香菇", "300g/盒", 310, 900, 24, 590),
    ]),
    "肉禽": (C, [
        ("宁乡花猪五花肉", "500g/盒", 520, 900, 20, 1890),
        ("宁乡花猪前腿肉", "500g/盒", 520, 900, 20, 1590),
        ("湘黄鸡", "1只/约1.2kg", 1250, 2500, 10, 3290),
        ("鲜鸡翅中", "500g/盒", 520, 900, 20, 2190),
        ("冷鲜牛腩", "500g/盒", 520, 900, 20, 3890),
        ("猪筒骨", "1kg/袋", 1030, 2000, 12, 1690),
        ("土鸭半只", "约800g/袋", 820, 1600, 12, 2390),
        ("鲜猪蹄", "1kg/袋", 1030, 2000, 12, 2490),
        ("鸡胸肉", "1kg/袋", 1020, 1600, 12, 1690),
        ("黑山羊肉片", "400g/盒", 410, 800, 20, 4290),
        ("猪里脊", "500g/盒", 520, 900, 20, 1990),
        ("乌鸡", "1只/约1kg", 1050, 2200, 10, 3590),
    ]),
    "水产": (F, [
        ("洞庭湖鲫鱼", "2条/约1kg", 1050, 2000, 10, 1790),
        ("冻虾仁", "500g/袋", 520, 900, 20, 2990),
        ("巴沙鱼柳", "1kg/袋", 1030, 1800, 12, 2290),
        ("小龙虾尾", "250g/盒", 270, 600, 24, 2490),
        ("舟山带鱼段", "800g/袋", 820, 1500, 12, 2690),
        ("鱿鱼须", "500g/袋", 520, 900, 20, 2190),
        ("三文鱼块", "300g/盒", 310, 600, 24, 4590),
        ("冻扇贝肉", "500g/袋", 520, 900, 20, 3290),
        ("黄花鱼", "2条/约700g", 720, 1400, 12, 2790),
        ("鳕鱼排", "400g/盒", 410, 800, 20, 3990),
        ("花甲", "1kg/袋", 1030, 1800, 12, 1590),
        ("冻虾饺", "500g/袋", 520, 1000, 20, 1890),
    ]),
    "蛋奶": (C, [
        ("洞庭湖鲜鸭蛋", "20枚/盒", 1300, 2500, 12, 1050),
        ("土鸡蛋", "30枚/盒", 1650, 3500, 8, 2190),
        ("纯牛奶", "250ml×12盒", 3100, 3600, 4, 3390),
        ("酸奶", "200g×6杯", 1300, 1800, 8, 1590),
        ("鲜牛奶", "950ml/瓶", 1000, 1100, 12, 1190),
        ("鹌鹑蛋", "300g/盒", 330, 700, 24, 890),
        ("奶酪棒", "20支/袋", 400, 900, 20, 2490),
        ("豆浆", "1L/瓶", 1050, 1100, 12, 690),
        ("皮蛋", "10枚/盒", 700, 1500, 16, 1090),
        ("咸鸭蛋", "6枚/盒", 450, 900, 20, 890),
        ("黄油", "200g/块", 210, 300, 30, 1890),
        ("淡奶油", "1L/盒", 1050, 1100, 12, 2990),
    ]),
    "粮油": (A, [
        ("湖南丝苗米", "5kg/袋", 5050, 7000, 4, 3290),
        ("压榨菜籽油", "5L/桶", 4650, 5500, 4, 6990),
        ("挂面", "1kg/袋", 1020, 1500, 20, 690),
        ("湘潭湘莲", "500g/袋", 520, 1000, 20, 3290),
        ("东北大米", "5kg/袋", 5050, 7000, 4, 3590),
        ("花生油", "1.8L/瓶", 1700, 2000, 6, 3990),
        ("生抽酱油", "1.9L/瓶", 2100, 2200, 6, 1890),
        ("老陈醋", "500ml/瓶", 650, 600, 12, 690),
        ("剁辣椒", "700g/瓶", 850, 800, 12, 1190),
        ("糯米", "2kg/袋", 2030, 2800, 10, 1390),
        ("小米", "1kg/袋", 1020, 1400, 12, 1290),
        ("绿豆", "1kg/袋", 1020, 1400, 12, 1190),
    ]),
    "预制菜": (F, [
        ("浏阳蒸菜组合", "3盒/组", 1200, 2400, 10, 2100),
        ("剁椒鱼头", "1kg/盒", 1050, 2000, 8, 3290),
        ("小炒黄牛肉", "300g/盒", 320, 700, 20, 2290),
        ("口味虾", "800g/盒", 830, 1600, 12, 4290),
        ("辣椒炒肉料理包", "250g/袋", 260, 500, 30, 990),
        ("毛氏红烧肉", "400g/盒", 420, 800, 20, 2990),
        ("速冻水饺", "1kg/袋", 1030, 1800, 12, 1590),
        ("湘味酸菜鱼", "1kg/盒", 1050, 2000, 8, 2890),
        ("糖油粑粑", "500g/袋", 520, 1000, 20, 990),
        ("长沙臭豆腐", "20片/袋", 600, 1200, 20, 1290),
        ("牛肉粉料理包", "2人份/袋", 700, 1400, 16, 1690),
        ("速冻汤圆", "500g/袋", 520, 1000, 20, 890),
    ]),
    "零食": (A, [
        ("浏阳茴饼", "400g/袋", 420, 1200, 20, 1290),
        ("平江辣条", "500g/袋", 520, 1500, 20, 990),
        ("湘潭槟榔糕", "200g/盒", 220, 500, 30, 790),
        ("坚果礼盒", "750g/盒", 780, 2500, 8, 4990),
        ("岳阳君山银针", "100g/罐", 300, 800, 24, 6990),
        ("猪血丸子", "500g/袋", 520, 900, 20, 1890),
        ("酱板鸭", "400g/袋", 420, 1000, 20, 2990),
        ("麻辣小鱼仔", "300g/袋", 320, 1000, 24, 1290),
        ("手撕面包", "1kg/箱", 1050, 4000, 8, 1590),
        ("苏打饼干", "800g/箱", 850, 3000, 10, 1490),
        ("黑芝麻丸", "300g/罐", 330, 700, 24, 1990),
        ("紫薯干", "500g/袋", 520, 1200, 20, 1190),
    ]),
    "日用": (A, [
        ("抽纸", "3层×24包", 2400, 12000, 2, 2990),
        ("洗衣液", "3kg/瓶", 3150, 3500, 4, 2990),
        ("洗洁精", "1.5kg/瓶", 1580, 1800, 8, 990),
        ("垃圾袋", "5卷/组", 500, 1500, 20, 690),
        ("牙膏", "120g×3支", 420, 900, 24, 1990),
        ("洗发水", "750ml/瓶", 820, 1000, 12, 3490),
        ("卷纸", "4层×10卷", 1500, 9000, 4, 2290),
        ("保鲜袋", "200只/盒", 350, 1000, 24, 990),
        ("84消毒液", "1.2kg/瓶", 1300, 1500, 12, 890),
        ("洗手液", "500ml/瓶", 560, 700, 20, 1290),
        ("湿巾", "80抽×3包", 900, 3000, 12, 1490),
        ("厨房纸", "6卷/提", 900, 6000, 6, 1690),
    ]),
    "酒水": (A, [
        ("白沙啤酒", "500ml×12罐", 6500, 7500, 2, 3490),
        ("湘山泉矿泉水", "550ml×24瓶", 13500, 15000, 1, 2290),
        ("茶颜悦色茶包", "10包/盒", 250, 900, 24, 2490),
        ("湘泉酒", "500ml/瓶", 1100, 1200, 6, 4990),
        ("凉茶", "310ml×12罐", 4000, 4500, 2, 3290),
        ("豆奶", "250ml×16盒", 4200, 4800, 2, 3590),
        ("橙汁", "1L×2瓶", 2150, 2400, 6, 1990),
        ("苏打水", "410ml×15瓶", 6400, 7500, 1, 3990),
        ("米酒", "1kg/瓶", 1100, 1200, 8, 1290),
        ("冰红茶", "500ml×15瓶", 7800, 9000, 1, 3190),
        ("椰汁", "245ml×10罐", 2700, 3000, 4, 2990),
        ("黑茶", "400g/块", 420, 800, 20, 5990),
    ]),
}  # fmt: skip


def catalogue(count: int) -> list[ProductDraft]:
    """``count`` products (at most 120), taken across the categories in turn
    so a small demo still sells a bit of everything; their supplier is left
    for the caller to fill in."""
    by_category = [
        [
            ProductDraft(0, name, category, unit, grams, ml, pack, cost, zone)
            for name, unit, grams, ml, pack, cost in items
        ]
        for category, (zone, items) in _CATALOGUE.items()
    ]
    chosen: list[ProductDraft] = []
    for index in range(max(len(items) for items in by_category)):
        chosen.extend(items[index] for items in by_category if index < len(items))
    return chosen[:count]
