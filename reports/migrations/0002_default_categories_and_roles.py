"""Ship the default report categories and the four role groups.

Categories are created only when their code is missing, so edits made in the admin survive a
re-run (and a reverse migration leaves them alone). Deadlines are working days, chosen from
what Hanoi's wards publicly commit to for field complaints: hazards (fallen trees, flooding,
open drains, dead traffic lights) within one or two days, ordinary street problems within a
working week, construction and procedure questions within two weeks.

`handling_level` stays empty: the default handler is the agency of the lowest (ward) area.
City-department categories (street lighting, drainage, trees) are sent to their companies by
category-only routing rules, which the deployment (or the demo) creates with the agencies.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

# (code, vi name, en name, group, kind, working days)
CATEGORIES = [
    ("rac-thai-sai-quy-dinh", "Rác thải, phế thải đổ sai quy định", "Illegally dumped waste", "sanitation", "on_site", 3),
    ("thu-gom-rac", "Rác không được thu gom đúng giờ", "Missed or late waste collection", "sanitation", "on_site", 2),
    ("ve-sinh-duong-pho", "Đường phố, vỉa hè mất vệ sinh", "Dirty streets and pavements", "sanitation", "on_site", 3),
    ("lan-chiem-via-he", "Lấn chiếm vỉa hè, lòng đường", "Pavement or roadway encroachment", "urban_order", "on_site", 5),
    ("quang-cao-rao-vat", "Quảng cáo, rao vặt trái phép", "Illegal advertising and flyposting", "urban_order", "on_site", 5),
    ("ban-hang-rong", "Bán hàng rong, chợ cóc tự phát", "Unlicensed street vending and pop-up markets", "urban_order", "on_site", 5),
    ("o-ga-mat-duong", "Ổ gà, hư hỏng mặt đường", "Potholes and damaged road surface", "traffic", "on_site", 7),
    ("den-tin-hieu", "Đèn tín hiệu giao thông hỏng", "Faulty traffic lights", "traffic", "on_site", 2),
    ("bien-bao-vach-son", "Biển báo, vạch sơn hư hỏng", "Damaged road signs or markings", "traffic", "on_site", 7),
    ("do-xe-sai-quy-dinh", "Đỗ xe sai quy định, trông giữ xe trái phép", "Illegal parking or unlicensed parking lots", "traffic", "on_site", 3),
    ("den-chieu-sang", "Đèn chiếu sáng công cộng hỏng", "Broken street light", "lighting", "on_site", 3),
    ("ngap-ung", "Ngập úng cục bộ", "Local flooding", "drainage", "on_site", 2),
    ("nap-cong-ho-ga", "Nắp cống, hố ga hư hỏng hoặc bị mất", "Broken or missing drain cover", "drainage", "on_site", 2),
    ("nuoc-sach", "Mất nước, rò rỉ đường ống nước sạch", "Water supply outage or leaking main", "drainage", "on_site", 2),
    ("cay-gay-do", "Cây xanh gãy đổ, có nguy cơ gãy đổ", "Fallen or dangerous tree", "trees", "on_site", 1),
    ("cat-tia-cay", "Cây xanh cần cắt tỉa, bị chặt hạ trái phép", "Tree needing pruning, or illegal felling", "trees", "on_site", 7),
    ("cong-vien", "Công viên, vườn hoa xuống cấp", "Run-down park or public garden", "trees", "on_site", 10),
    ("xay-dung-trai-phep", "Xây dựng không phép, sai phép", "Unpermitted or non-compliant construction", "construction", "on_site", 10),
    ("vat-lieu-xay-dung", "Vật liệu, phế thải xây dựng trên vỉa hè, lòng đường", "Building materials or rubble on pavement or road", "construction", "on_site", 5),
    ("on-karaoke-loa-keo", "Tiếng ồn karaoke, loa kẹo kéo", "Karaoke or portable loudspeaker noise", "noise", "on_site", 3),
    ("on-cong-trinh-dem", "Tiếng ồn công trình ban đêm", "Night-time construction noise", "noise", "on_site", 3),
    ("thu-tuc-ho-tich", "Thủ tục hộ tịch, chứng thực", "Civil status and certification procedures", "administrative", "administrative", 5),
    ("thu-tuc-dat-dai", "Thủ tục đất đai, cấp phép xây dựng", "Land and building-permit procedures", "administrative", "administrative", 10),
    ("thai-do-can-bo", "Thái độ, trách nhiệm của cán bộ, công chức", "Conduct of public officials", "administrative", "administrative", 10),
]

# Role groups and the permissions they carry. Object-level scoping (an official only acts on
# reports of agencies they belong to) is enforced in reports/permissions.py and the selectors.
ROLE_PERMISSIONS = {
    "citizen": ["add_report"],
    "official": ["view_report", "act_on_report"],
    "supervisor": [
        "view_report", "act_on_report", "extend_deadline", "oversee_reports", "view_analytics",
    ],
    "planner": ["view_report", "view_analytics"],
}


def forwards(apps, schema_editor):
    Category = apps.get_model("reports", "Category")
    for order, (code, name, name_en, group, kind, days) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "group": group,
                "kind": kind,
                "deadline_days": days,
                "sort_order": order * 10,
            },
        )
    # Permissions are normally created after all migrations ran; the groups need them now.
    app_config = apps.get_app_config("reports")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="reports", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
