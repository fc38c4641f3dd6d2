"""Service attributes of the default administrative categories (GeoReport service definitions).

A complaint about a procedure is acted on faster when the office knows which application and
which stage it concerns; these are the questions a ward's one-stop office (bộ phận một cửa)
asks first. Categories missing from a database (renamed by an administrator) are skipped.
"""

from django.db import migrations

STAGES = [
    {"key": "not_filed", "name": "Chưa nộp hồ sơ (hỏi thủ tục) / Not filed yet (asking)"},
    {"key": "waiting", "name": "Đã nộp, đang chờ kết quả / Filed, waiting for the result"},
    {"key": "overdue", "name": "Quá hẹn trả kết quả / Past the promised date"},
    {"key": "refused", "name": "Bị từ chối hoặc yêu cầu bổ sung / Refused or asked for more"},
]

# Asked for both kinds of procedure (civil status, land): the stage first, then the receipt.
PROCEDURE_STAGE = dict(
    code="procedure_stage",
    datatype="singlevaluelist",
    required=True,
    order=1,
    description="Hồ sơ của bạn đang ở bước nào? / Where is your application?",
    values=STAGES,
)
APPLICATION_CODE = dict(
    code="application_code",
    datatype="string",
    order=2,
    description="Mã hồ sơ trên giấy tiếp nhận (nếu có) / Application code on the receipt",
    datatype_description="Như trên phiếu hẹn trả kết quả, ví dụ 000.00.26.H26-250101-0001.",
)

ATTRIBUTES = {
    "thu-tuc-ho-tich": [
        PROCEDURE_STAGE,
        APPLICATION_CODE,
        dict(
            code="office_address",
            datatype="string",
            order=3,
            description="Nơi nộp hồ sơ / Office where the application was filed",
            datatype_description="Tên và địa chỉ bộ phận một cửa.",
        ),
    ],
    "thu-tuc-dat-dai": [
        PROCEDURE_STAGE,
        APPLICATION_CODE,
        dict(
            code="parcel",
            datatype="string",
            order=3,
            description="Thửa đất số, tờ bản đồ số / Parcel and map sheet number",
        ),
    ],
    "thai-do-can-bo": [
        dict(
            code="office_address",
            datatype="string",
            required=True,
            order=1,
            description="Cơ quan, bộ phận nơi xảy ra sự việc / Office where it happened",
            datatype_description="Tên và địa chỉ cơ quan.",
        ),
        dict(
            code="occurred_at",
            datatype="datetime",
            order=2,
            description="Thời điểm xảy ra / When it happened",
        ),
    ],
}


def add_attributes(apps, schema_editor):
    Category = apps.get_model("reports", "Category")
    ServiceAttribute = apps.get_model("open311", "ServiceAttribute")
    for code, attributes in ATTRIBUTES.items():
        category = Category.objects.filter(code=code).first()
        if category is None:
            continue
        for attribute in attributes:
            ServiceAttribute.objects.update_or_create(
                category=category, code=attribute["code"], defaults=attribute
            )


def remove_attributes(apps, schema_editor):
    ServiceAttribute = apps.get_model("open311", "ServiceAttribute")
    for code, attributes in ATTRIBUTES.items():
        ServiceAttribute.objects.filter(
            category__code=code, code__in=[a["code"] for a in attributes]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("open311", "0001_initial"),
        ("reports", "0002_default_categories_and_roles"),
    ]

    operations = [migrations.RunPython(add_attributes, remove_attributes)]
