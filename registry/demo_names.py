"""Deterministic generators of realistic Chinese names for demo subjects.

Every function takes a `random.Random` owned by the caller, so the same seed always gives
the same name. `random` is used here only to make up demo data, never for anything secret
(hence the S311 per-file ignore in pyproject.toml).

`seed_demo` calls these up to a million times, so each call is a handful of `rng.random()` /
`rng.choice()` calls on tuples built once at import time: no regex, no weights recomputed per
call. Weighted pools are expanded tuples (an entry listed k times is k times as likely).

`city_zh` may be a short city name ("杭州"), a full one ("深圳市"), an autonomous prefecture,
league or prefecture ("延边朝鲜族自治州", "锡林郭勒盟", "阿里地区"), a municipality's district
row ("北京市市辖区", "重庆市县") or a district ("东城区", "浦东新区"); it is normalised once and
cached.
"""

from __future__ import annotations

import random
from typing import TypeVar

T = TypeVar("T")

__all__ = [
    "enterprise_name",
    "individual_business_name",
    "person_name",
    "public_institution_name",
    "social_organisation_name",
]


def _chars(text: str) -> tuple[str, ...]:
    """Distinct characters of `text`, whitespace dropped, first occurrence order."""
    return tuple(dict.fromkeys(ch for ch in text if not ch.isspace()))


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _weighted(pairs: tuple[tuple[T, int], ...]) -> tuple[T, ...]:
    """Each item repeated `weight` times, so `rng.choice` picks it in proportion."""
    return tuple(item for item, weight in pairs for _ in range(weight))


# --- people ---------------------------------------------------------------------------------

# Approximate frequencies (per mille) of the most common surnames.
_COMMON_SURNAMES = (
    ("王", 71), ("李", 70), ("张", 69), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 24),
    ("赵", 23), ("吴", 20), ("周", 19), ("徐", 17), ("孙", 15), ("马", 15), ("朱", 14),
    ("胡", 13), ("郭", 12), ("何", 12), ("林", 11), ("高", 11), ("罗", 10), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 7), ("韩", 7), ("冯", 7), ("邓", 7),
    ("曹", 7), ("彭", 6), ("曾", 6), ("肖", 6), ("田", 6), ("董", 5), ("袁", 5), ("潘", 5),
    ("于", 5), ("蒋", 5), ("蔡", 5), ("余", 5), ("杜", 5), ("叶", 5), ("程", 5), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 4), ("任", 4), ("沈", 4), ("姚", 4), ("卢", 4), ("姜", 4),
    ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3),
    ("廖", 3), ("贾", 3), ("夏", 3), ("韦", 3), ("付", 3), ("方", 3), ("白", 3), ("邹", 3),
    ("孟", 3), ("熊", 3), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2),
    ("段", 2), ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2),
    ("顾", 2), ("毛", 2), ("郝", 2), ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 2),
    ("覃", 2), ("武", 2), ("戴", 2),
)  # fmt: skip
# Less common single-character surnames, about half a per mille each.
_RARE_SURNAMES = _chars(
    "莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包"
    "宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶"
    "解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应"
    "臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐"
)
_COMPOUND_SURNAMES = _words("欧阳 司马 上官 诸葛 东方 皇甫 令狐 慕容 司徒 尉迟 夏侯 公孙")
# Relative weights: common ones x10 (per ten thousand), rare ones 5 each, compound ones 1 each.
_SURNAMES = (
    tuple(s for s, weight in _COMMON_SURNAMES for _ in range(weight * 10))
    + tuple(s for s in _RARE_SURNAMES if s not in dict(_COMMON_SURNAMES) for _ in range(5))
    + _COMPOUND_SURNAMES
)
_MALE_GIVEN = _chars(
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林阳晨峰建国志文东海亮成"
    "振博睿轩哲泽宏毅彬鸿坤锋荣兵新德庆春生祥瑞天宝安永利光栋良胜金森晓家嘉梓铭"
    "皓宸昊思豪翔鹤远航立清正卫忠义元彦钧晟骏弘奕承廷逸然"
)
_FEMALE_GIVEN = _chars(
    "芳娜敏静丽艳娟霞燕玲婷雪慧莹琳颖倩洁萍红梅兰琴璐晶欣怡悦萱涵雅诗雨佳可馨婉月蕾"
    "薇菲妍琪瑶岚秀英凤云丹彤晗若梦淑珍玉春晓思语心紫诺依冰艺桐惠美莉蓉茜楠"
)


def person_name(rng: random.Random) -> str:
    """A Chinese personal name: weighted surname, one- or two-character given name."""
    surname = rng.choice(_SURNAMES)
    female = rng.random() < 0.5
    pool = _FEMALE_GIVEN if female else _MALE_GIVEN
    r = rng.random()
    if r < 0.27:
        return surname + rng.choice(pool)
    first = rng.choice(pool)
    if female and r < 0.31:
        return surname + first + first  # 婷婷, 丹丹
    return surname + first + rng.choice(pool)


# --- places ---------------------------------------------------------------------------------

_ETHNIC_SUFFIXES = _words(
    "朝鲜族 土家族 苗族 藏族 羌族 彝族 布依族 侗族 哈尼族 壮族 傣族 白族 景颇族 傈僳族 回族"
    " 蒙古族 蒙古 柯尔克孜 哈萨克"
)
_MUNICIPAL_DISTRICTS = {
    "北京": _words(
        "东城区 西城区 朝阳区 丰台区 石景山区 海淀区 门头沟区 房山区 通州区 顺义区 昌平区"
        " 大兴区 怀柔区 平谷区 密云区 延庆区"
    ),
    "上海": _words(
        "黄浦区 徐汇区 长宁区 静安区 普陀区 虹口区 杨浦区 闵行区 宝山区 嘉定区 浦东新区"
        " 金山区 松江区 青浦区 奉贤区 崇明区"
    ),
}
_DISTRICT_CITY = {d: city for city, ds in _MUNICIPAL_DISTRICTS.items() for d in ds}

# city_zh -> (short prefix or "", full prefix, district or "")
_CITY_CACHE: dict[str, tuple[str, str, str]] = {}


def _place(city_zh: str) -> tuple[str, str, str]:
    """("杭州", "杭州市", "") for "杭州"/"杭州市"; ("北京", "北京市", "东城区") for "东城区"."""
    cached = _CITY_CACHE.get(city_zh)
    if cached is not None:
        return cached
    name = (city_zh or "").strip()
    district = ""
    if name.endswith("市辖区"):  # 北京市市辖区
        name = name[:-3]
    elif name.endswith("市县"):  # 重庆市县
        name = name[:-1]
    if name in _DISTRICT_CITY:
        district, name = name, _DISTRICT_CITY[name]
    if not name:
        result = ("", "", "")
    elif name.endswith("市"):
        result = (name[:-1], name, district)
    elif name.endswith("自治州"):
        short = name[:-3]
        stripped = True
        while stripped:
            stripped = False
            for suffix in _ETHNIC_SUFFIXES:
                if short.endswith(suffix) and len(short) > len(suffix):
                    short, stripped = short[: -len(suffix)], True
        result = (short, name, district)
    elif name.endswith("地区"):
        result = (name[:-2], name, district)
    elif name.endswith("盟"):
        result = (name[:-1], name, district)
    elif name.endswith(("区", "县", "旗")):  # a district of an unknown city
        result = ("", name, name)
    else:  # a short city name
        result = (name, name + "市", district)
    _CITY_CACHE[city_zh] = result
    return result


def _local(full: str, district: str) -> str:
    """The administrative prefix of an organisation's name: "杭州市" or "北京市东城区"."""
    if district and district != full:
        return full + district
    return full


# --- enterprises ----------------------------------------------------------------------------

# Trade names (字号) are built from a leading and a trailing character, as most real ones are
# (恒信, 华锐, 中科联创): both pools are characters common in Chinese trade names.
_LEAD_CHARS = _chars(
    "华中恒金鑫宏新东天盛永嘉瑞泰海鸿博国亚美龙凯汇宇万正长佳德兴安康富丰祥荣顺昌隆源裕"
    "鼎晟昊旭航远卓创智科联合众信诚精通达益利明光辉星阳晨青蓝红绿紫银宝玉锦大伟世百千亿"
    "三九南西北江河湖山峰川云润泽浩瀚森林松柏久弘乾坤元亨启领优品尚雅奥普威特迪欧凌睿"
    "骏腾飞扬志立广深厚诺捷致和协同汉唐铭钧瑾琪璟沃硕彩虹霖霞鹏鹰麒麟凤凰翔"
)
_TAIL_CHARS = _chars(
    "信达盛源通泰隆丰祥兴利发安康科创联辉腾博华成茂旺昌鑫瑞恒宇宏远航顺和美佳嘉益德邦"
    "业晟辰星光明峰川海润泽林森福乐悦欣锐捷迅驰骋飞跃展拓新力能威特尔斯普克莱迪奥诺雅"
    "致卓越凯祺琪瑜璟铭钧锦绣韵轩源禾田园道智合信众胜昇升晖耀灿煌耀豪杰英俊嵘峻崇达程"
)
_INDUSTRIES = _weighted(
    (
        ("科技", 8), ("电子科技", 4), ("信息技术", 4), ("网络科技", 4), ("智能科技", 3),
        ("生物科技", 2), ("新能源科技", 2), ("环保科技", 2), ("新材料科技", 2), ("新材料", 1),
        ("软件", 1), ("数据科技", 1), ("光电科技", 1), ("半导体", 1), ("安防科技", 1),
        ("贸易", 6), ("商贸", 3), ("国际贸易", 2), ("进出口", 2), ("供应链管理", 2),
        ("建筑工程", 3), ("建设工程", 2), ("装饰工程", 2), ("园林绿化工程", 1),
        ("环境工程", 1), ("房地产开发", 2), ("置业", 1), ("物业管理", 2), ("食品", 3),
        ("餐饮管理", 3), ("农业发展", 2), ("农业科技", 1), ("生态农业", 1), ("医药", 2),
        ("医疗器械", 2), ("健康管理", 1), ("物流", 3), ("运输", 1), ("汽车服务", 1),
        ("汽车销售", 1), ("电子商务", 3), ("文化传媒", 3), ("文化传播", 2), ("广告", 1),
        ("影视", 1), ("教育科技", 1), ("企业管理咨询", 2), ("信息咨询", 1), ("人力资源", 1),
        ("投资管理", 1), ("机械设备", 2), ("机电设备", 1), ("精密机械", 1), ("电气", 1),
        ("化工", 1), ("纺织", 1), ("服饰", 1), ("家具", 1), ("包装材料", 1), ("五金", 1),
        ("塑胶", 1), ("印刷", 1), ("能源", 1), ("酒店管理", 1), ("旅游开发", 1), ("劳务", 1),
        ("检测技术", 1), ("体育发展", 1), ("化妆品", 1), ("茶业", 1), ("酒业", 1),
        ("药业", 1), ("珠宝", 1),
    )
)  # fmt: skip
_GROUP_INDUSTRIES = _words("控股 实业 建设 投资 科技 置业 物流 医药 食品 建工 能源 化工 纺织")
_GROUP_INDUSTRIES = _GROUP_INDUSTRIES + ("",) * 4  # plain "XX集团有限公司"
_PARTNERSHIP_INDUSTRIES = _words(
    "投资 股权投资 创业投资 企业管理咨询 投资管理 企业管理 信息咨询 科技 股权投资基金"
)
_FACTORY_GOODS = _words("服装 五金 塑料制品 机械 印刷 纸箱 食品 家具 模具 电器 针织 不锈钢制品")
_BIG_CITIES = _words("北京 上海 深圳 广州 杭州 南京 苏州 成都 武汉 西安 天津 重庆 厦门")
_F_LTD, _F_LLC, _F_JSC, _F_GROUP, _F_LP, _F_BRANCH, _F_FACTORY = range(7)
_FORMS = _weighted(
    (
        (_F_LTD, 60), (_F_LLC, 16), (_F_JSC, 7), (_F_GROUP, 4), (_F_LP, 5), (_F_BRANCH, 5),
        (_F_FACTORY, 3),
    )
)  # fmt: skip


def _trade_name(rng: random.Random) -> str:
    """字号: mostly two characters, often three, sometimes four (中科联创)."""
    lead, tail = _LEAD_CHARS, _TAIL_CHARS
    r = rng.random()
    if r < 0.52:
        return rng.choice(lead) + rng.choice(tail)
    if r < 0.72:
        return rng.choice(lead) + rng.choice(tail) + rng.choice(tail)
    if r < 0.92:
        return rng.choice(lead) + rng.choice(lead) + rng.choice(tail)
    return rng.choice(lead) + rng.choice(tail) + rng.choice(lead) + rng.choice(tail)


def enterprise_name(rng: random.Random, city_zh: str) -> str:
    """E.g. "杭州恒信电子科技有限公司", "北京中科联创信息技术股份有限公司"."""
    short, full, _district = _place(city_zh)
    trade = _trade_name(rng)
    form = rng.choice(_FORMS)
    if form == _F_BRANCH and short:
        origin = rng.choice(_BIG_CITIES)
        if origin == short:
            origin = ""
        return f"{origin}{trade}{rng.choice(_INDUSTRIES)}有限公司{short}分公司"
    r = rng.random()
    if not short:  # only a district is known: no city in the name
        prefix = ""
    elif r < 0.42:
        prefix = short
    elif r < 0.62:
        prefix = full
    elif r < 0.67:
        trade = f"{trade}（{short}）"
        prefix = ""
    else:
        prefix = ""
    if form == _F_GROUP:
        return f"{prefix}{trade}{rng.choice(_GROUP_INDUSTRIES)}集团有限公司"
    if form == _F_LP:
        return f"{prefix}{trade}{rng.choice(_PARTNERSHIP_INDUSTRIES)}合伙企业（有限合伙）"
    if form == _F_FACTORY:
        return f"{prefix}{trade}{rng.choice(_FACTORY_GOODS)}厂"
    suffix = "有限责任公司" if form == _F_LLC else "股份有限公司" if form == _F_JSC else "有限公司"
    return f"{prefix}{trade}{rng.choice(_INDUSTRIES)}{suffix}"


# --- individual businesses ------------------------------------------------------------------

_SHOPS = _words(
    "便利店 超市 五金店 小吃店 面馆 理发店 水果店 服装店 烟酒店 建材经营部 日用品商行"
    " 家电维修部 汽车修理厂 快餐店 早餐店 干洗店 手机店 茶叶店 美容美发店 百货商店 批发部"
    " 餐馆 饭店 农家乐 粮油店 副食店 文具店 花店 眼镜店 电动车行 装饰材料经营部 酒楼 火锅店"
    " 麻辣烫店 烧烤店 棋牌室 照相馆 图文打印部 裁缝店 鞋店 母婴用品店 宠物店 养殖场 蔬菜店"
    " 包子铺 饺子馆 米粉店 奶茶店 药店 门窗加工部 家具店 灯具店 修车铺 床上用品店"
)
_FOOD_SHOPS = _words(
    "小吃店 面馆 快餐店 早餐店 饭店 餐馆 烧烤店 包子铺 饺子馆 米粉店 火锅店 麻辣烫店 卤味店"
    " 烧饼铺 牛肉面馆 馄饨店 砂锅店 酸菜鱼馆"
)
_JI_GOODS = _FOOD_SHOPS + _words("五金店 修车铺 杂货铺 水果店 干货店 粮油店 裁缝店 茶庄 锁店")
_LOCALITIES = _words(
    "城东 城南 城西 城北 新村 车站 学府 人民路 解放路 中山路 建设路 步行街 农贸市场 老街"
    " 河西 滨江 工业园 大学城 广场 新城"
)


def _shop_prefix(rng: random.Random, short: str, full: str, district: str) -> str:
    r = rng.random()
    if r < 0.45:
        return ""
    if r < 0.60 and short:
        return short
    return _local(full, district)


def individual_business_name(rng: random.Random, city_zh: str) -> str:
    """E.g. "杭州市西湖区老王小吃店", "张记五金店", "深圳市鑫隆便利店"."""
    short, full, district = _place(city_zh)
    r = rng.random()
    if r < 0.22:
        name = rng.choice(_SURNAMES) + "记" + rng.choice(_JI_GOODS)
        return (_local(full, district) + name) if rng.random() < 0.15 else name
    if r < 0.32:
        name = "老" + rng.choice(_SURNAMES) + rng.choice(_FOOD_SHOPS)
        return (_local(full, district) + name) if rng.random() < 0.3 else name
    prefix = _shop_prefix(rng, short, full, district)
    if r < 0.72:
        middle = rng.choice(_LEAD_CHARS) + rng.choice(_TAIL_CHARS)
    elif r < 0.88:
        pool = _FEMALE_GIVEN if rng.random() < 0.4 else _MALE_GIVEN
        middle = rng.choice(pool) + rng.choice(pool)
    else:
        middle = rng.choice(_LOCALITIES)
    return f"{prefix}{middle}{rng.choice(_SHOPS)}"


# --- social organisations -------------------------------------------------------------------

_TRADE_ASSOCIATIONS = _words(
    "软件 餐饮 物流 建筑业 房地产 汽车 电子商务 旅游 美容美发 家具 服装 食品 医药 物业管理"
    " 广告 茶叶 装饰 信息技术 人力资源 环保产业 互联网 养老服务 烹饪 会计 中小企业 电梯"
    " 建材 纺织 家政服务 快递 酒店 眼镜 珠宝玉石 钢铁 模具 跨境电商 新能源汽车 民宿"
)
_FOUNDATIONS = _words("慈善 教育 青少年发展 见义勇为 助学 老年 文化发展 乡村振兴 儿童 扶残助残")
_VOLUNTEERS = _words("青年 巾帼 义工 助残 环保 文明 应急救援 红心")
_SOCIETIES = _words(
    "计算机 医学 护理 药学 经济 会计 法学 心理 数学 物理 化学 土木建筑 机械工程 农学 历史"
    " 社会 地理 统计 中医药 营养 园艺 科普"
)
_RESEARCH = _words("企业文化 地方史 老年学 诗词 书法 摄影 民俗文化 家庭教育 红色文化 城市发展")
_ORIGINS = _words(
    "温州 福建 潮汕 浙江 湖南 江西 安徽 河南 四川 山东 湖北 广东 莆田 晋江 义乌 台州 客家"
)
_CHAMBERS = _words("汽车 电子 女企业家 青年企业家 新生代企业家 餐饮 服装 建材 进出口")
_ARTISTS = _words("书法家 作家 摄影家 美术家 音乐家 舞蹈家 戏剧家 民间文艺家 曲艺家")
_SPORTS = _words(
    "篮球 足球 围棋 象棋 登山 钓鱼 羽毛球 乒乓球 游泳 马拉松 太极拳 武术 自行车 门球 桥牌"
)
_NICE_WORDS = _words(
    "阳光 爱心 启明 博雅 明德 育才 春晖 晨曦 心连心 益友 同心 乐龄 金色年华 向日葵 彩虹"
    " 绿洲 希望 蒲公英 暖阳 康乃馨 星光 朝阳 和美 善缘 知行"
)
_NON_PROFIT_UNITS = _words(
    "职业技能培训学校 社会工作服务中心 养老院 颐养院 幼儿园 艺术培训学校 康复中心"
    " 青少年活动中心 心理咨询服务中心 社区服务中心 文化艺术中心 家庭服务中心 助残服务中心"
)


def social_organisation_name(rng: random.Random, city_zh: str) -> str:
    """E.g. "杭州市软件行业协会", "深圳市慈善基金会", "上海市浦东新区青年志愿者协会"."""
    short, full, district = _place(city_zh)
    loc = _local(full, district) if rng.random() < 0.7 else full
    r = rng.random()
    if r < 0.20:
        kind = "行业协会" if rng.random() < 0.6 else "协会"
        return f"{loc}{rng.choice(_TRADE_ASSOCIATIONS)}{kind}"
    if r < 0.27:
        kind = "基金会" if rng.random() < 0.7 else "总会"
        return f"{loc}{rng.choice(_FOUNDATIONS)}{kind}"
    if r < 0.29:
        return f"{loc}慈善总会" if rng.random() < 0.5 else f"{loc}慈善基金会"
    if r < 0.35:
        return f"{loc}{rng.choice(_VOLUNTEERS)}志愿者协会"
    if r < 0.42:
        return f"{loc}{rng.choice(_SOCIETIES)}学会"
    if r < 0.47:
        return f"{loc}{rng.choice(_RESEARCH)}研究会"
    if r < 0.55:
        origin = rng.choice(_ORIGINS)
        if origin == short:
            origin = rng.choice(_CHAMBERS)
        return f"{full}{origin}商会"
    if r < 0.59:
        return f"{loc}{rng.choice(_CHAMBERS)}商会"
    if r < 0.63:
        return f"{loc}{rng.choice(_ARTISTS)}协会"
    if r < 0.70:
        return f"{loc}{rng.choice(_SPORTS)}协会"
    return f"{_local(full, district)}{rng.choice(_NICE_WORDS)}{rng.choice(_NON_PROFIT_UNITS)}"


# --- public institutions --------------------------------------------------------------------

_ORDINALS = _weighted(
    (
        ("第一", 12), ("第二", 10), ("第三", 8), ("第四", 6), ("第五", 5), ("第六", 4),
        ("第七", 3), ("第八", 3), ("第九", 2), ("第十", 2), ("第十一", 1), ("第十二", 1),
        ("第十三", 1), ("第十四", 1), ("第十五", 1),
    )
)  # fmt: skip
_NUMBERED_UNITS = _weighted(
    (
        ("人民医院", 4), ("中学", 6), ("小学", 5), ("实验学校", 2), ("幼儿园", 3),
        ("高级中学", 2), ("职业高级中学", 1), ("社会福利院", 1),
    )
)  # fmt: skip
_SCHOOL_NAMES = _words(
    "育才 实验 崇文 明德 启明 光明 朝阳 新华 城东 城南 城西 城北 外国语 解放路 人民路 中山路"
    " 文澜 青山 滨江 江南 湖滨 凤凰 东方 求是 树人 行知 博文 星海"
)
_SCHOOLS = _weighted((("中学", 3), ("小学", 4), ("幼儿园", 2), ("初级中学", 1), ("实验学校", 1)))
_UNITS = _words(
    "中医院 妇幼保健院 疾病预防控制中心 档案馆 图书馆 博物馆 文化馆 公证处 不动产登记中心"
    " 公共资源交易中心 住房公积金管理中心 社会福利院 广播电视台 职业技术学院 急救中心"
    " 生态环境监测站 人才交流服务中心 机关事务服务中心 城市规划设计研究院 农业科学研究院"
    " 林业技术推广站 动物疫病预防控制中心 园林管理处 青少年宫 体育中心 科技馆 精神卫生中心"
    " 中心血站 口腔医院 儿童医院 肿瘤医院 传染病医院 老年大学 技师学院 特殊教育学校"
    " 水文站 市政工程管理处 供水管理中心 融媒体中心 大数据发展管理中心 退役军人服务中心"
    " 政务服务中心 劳动人事争议仲裁院 产品质量监督检验所 计量检定测试所 国有资产服务中心"
)


def public_institution_name(rng: random.Random, city_zh: str) -> str:
    """E.g. "杭州市第一人民医院", "深圳市第三实验学校", "南京市档案馆"."""
    _short, full, district = _place(city_zh)
    loc = _local(full, district) if rng.random() < 0.6 else full
    r = rng.random()
    if r < 0.35:
        return f"{loc}{rng.choice(_ORDINALS)}{rng.choice(_NUMBERED_UNITS)}"
    if r < 0.55:
        return f"{loc}{rng.choice(_SCHOOL_NAMES)}{rng.choice(_SCHOOLS)}"
    return f"{loc}{rng.choice(_UNITS)}"
