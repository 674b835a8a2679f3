"""Regions, the organization tree and the people of the demo.

The region and unit names are Liangping's real ones; the region codes below the district and all
people are sample data.
"""

from __future__ import annotations

CITY = ("500000", "重庆市")
DISTRICT = ("500155", "梁平区")

# The district's streets (街道) and towns/townships (镇、乡).
TOWNSHIPS: list[str] = [
    "梁山街道", "双桂街道", "仁贤街道", "金带街道",
    "礼让镇", "云龙镇", "屏锦镇", "袁驿镇", "新盛镇", "福禄镇", "聚奎镇", "明达镇", "荫平镇", "和林镇",
    "回龙镇", "碧山镇", "虎城镇", "七星镇", "龙门镇", "文化镇", "合兴镇", "大观镇", "星桥镇", "曲水镇",
    "安胜镇", "紫照镇", "柏家镇", "竹山镇", "蟠龙镇", "石安镇",
    "铁门乡", "龙胜乡",
]


def township_code(index: int) -> str:
    """Sample 12-digit codes under the district's real code 500155."""
    return f"{DISTRICT[0]}{index:03d}000"


GOVERNMENT = ("梁平区人民政府", "区政府")
OFFICE = ("梁平区生态环境保护督察整改工作领导小组办公室", "区督察整改办")

# (name, short name) of the district's departments, in the order the directory lists them.
DEPARTMENTS: list[tuple[str, str]] = [
    ("区委组织部", ""),
    ("区委宣传部", ""),
    ("区纪委监委", ""),
    ("区发展改革委", ""),
    ("区经济信息委", ""),
    ("区教委", ""),
    ("区公安局", ""),
    ("区司法局", ""),
    ("区财政局", ""),
    ("区规划自然资源局", "区规资局"),
    ("区生态环境局", ""),
    ("区住房城乡建委", "区住建委"),
    ("区城市管理局", "区城管局"),
    ("区交通运输委", ""),
    ("区水利局", ""),
    ("区农业农村委", ""),
    ("区商务委", ""),
    ("区文化旅游委", "区文旅委"),
    ("区卫生健康委", "区卫健委"),
    ("区应急局", ""),
    ("区市场监管局", ""),
    ("区统计局", ""),
    ("区林业局", ""),
    ("梁平工业园区管委会", "工业园区管委会"),
]

# Inspection groups are root nodes located in the city.
INSPECTION_GROUPS: list[str] = [
    "重庆市第八生态环境保护督察组",
    "中央第二生态环境保护督察组",
]

# username → (family name, given name, title, is_staff). Sample people.
PROFILES: dict[str, tuple[str, str, str, bool]] = {
    "office": ("周", "敏", "区督察整改办专职副主任", False),
    "staff": ("李", "俊", "区住房城乡建委城建科科员", False),
    "head": ("王", "建国", "区住房城乡建委副主任", False),
    "staff2": ("陈", "晓雨", "双桂街道生态环境保护办公室干部", False),
    "head2": ("刘", "志强", "双桂街道党工委委员、办事处副主任", False),
    "acceptor": ("赵", "丽", "区生态环境局督察科科长", False),
    "leader": ("孙", "立新", "区政府分管生态环境工作负责同志", False),
    "discipline": ("黄", "志", "区纪委监委第三纪检监察室主任", False),
    "admin": ("吴", "磊", "区督察整改办信息化管理员", True),
    "staff3": ("杨", "帆", "区城市管理局市容环卫科科员", False),
    "head3": ("郑", "涛", "区城市管理局副局长", False),
    "staff4": ("何", "佳", "礼让镇生态环境保护办公室干部", False),
    "head4": ("罗", "成", "礼让镇党委委员、副镇长", False),
    "acceptor2": ("谢", "芳", "区水利局河长制工作科科长", False),
}
