"""Vietnam's public holidays 2025-2027 as civil servants observe them (the working-day calendar).

Deadlines count working days of state agencies, so this table lists every weekday they do not
work (holidays, their decreed bridge days and compensatory days) and every Saturday they work
in exchange (`working=True`). The Labor Code 2019, Art. 112, grants New Year (1 day), Tết
(5 days), Hùng Kings (10/3 lunar), 30/4, 1/5 and 2/9 plus one adjacent day; holidays falling on
a weekend are compensated on the next working day; bridge days are swapped with a Saturday by
the Prime Minister's yearly decision, announced by the Ministry (MOLISA to 2025, Home Affairs
from 2025).

Sources:
- 2025: MOLISA notice 6150/TB-BLĐTBXH (Tết 25/1-2/2, make-up Sat 8/2) and the Government
  portal (en.baochinhphu.vn, 4 Mar 2025: Hùng Kings 5-7 Apr; 30/4-4/5 made up on Sat 26/4);
  National Day 2025 on Mon 1/9 and Tue 2/9.
- 2026: Government Office letters relaying the Prime Minister's approval of the Ministry of
  Home Affairs proposals: Tết 14-22/2 (thanhnien.vn, kienthuc.net.vn, 13 Oct 2025); National
  Day 29/8-2/9 with Mon 31/8 swapped for Sat 22/8 (same sources); New Year 1-4/1 with Fri 2/1
  swapped for Sat 10/1 (Government Office, 25 Dec 2025); Hùng Kings on Sun 26/4, compensated
  Mon 27/4.
- 2027: PROVISIONAL, computed from Art. 112 because the yearly decisions are not yet published:
  Tết Đinh Mùi falls on Sat 6/2 (legal days Fri 5/2-Tue 9/2, the weekend two compensated Wed
  10/2 and Thu 11/2); Hùng Kings Fri 16/4; 1/5 on a Saturday compensated Mon 3/5; National Day
  Thu 2/9 with Fri 3/9. Correct these rows in the admin when the decision is published.
- 24/11 "Ngày Văn hóa Việt Nam" is planned as a paid holiday (Resolution 80-NQ/TW, Government
  Resolution 30/NQ-CP) but needs a Labor Code amendment; it is not listed until enacted.
"""

import datetime as dt

from django.db import migrations

MOLISA_2025 = "TB 6150/TB-BLĐTBXH; baochinhphu.vn 04/03/2025"
MOHA_2026 = "Văn phòng Chính phủ truyền đạt ý kiến Thủ tướng (13/10/2025, 25/12/2025)"
LABOR_CODE = "Bộ luật Lao động 2019, Điều 112 (dự kiến, chờ quyết định năm 2027)"

HOLIDAYS = [
    # (date, vi, en, working, source)
    ("2025-01-01", "Tết Dương lịch", "New Year's Day", False, MOLISA_2025),
    ("2025-01-27", "Nghỉ Tết Âm lịch (hoán đổi, làm bù thứ Bảy 08/02)", "Tết bridge day", False, MOLISA_2025),
    ("2025-01-28", "Tết Nguyên đán Ất Tỵ", "Lunar New Year (Tết)", False, MOLISA_2025),
    ("2025-01-29", "Tết Nguyên đán Ất Tỵ", "Lunar New Year (Tết)", False, MOLISA_2025),
    ("2025-01-30", "Tết Nguyên đán Ất Tỵ", "Lunar New Year (Tết)", False, MOLISA_2025),
    ("2025-01-31", "Tết Nguyên đán Ất Tỵ", "Lunar New Year (Tết)", False, MOLISA_2025),
    ("2025-02-08", "Làm bù ngày nghỉ Tết 27/01", "Make-up working day for 27 Jan", True, MOLISA_2025),
    ("2025-04-07", "Giỗ Tổ Hùng Vương (10/3 âm lịch)", "Hùng Kings Commemoration Day", False, MOLISA_2025),
    ("2025-04-26", "Làm bù ngày nghỉ 02/05", "Make-up working day for 2 May", True, MOLISA_2025),
    ("2025-04-30", "Ngày Chiến thắng (30/4)", "Reunification Day", False, MOLISA_2025),
    ("2025-05-01", "Ngày Quốc tế Lao động (1/5)", "International Workers' Day", False, MOLISA_2025),
    ("2025-05-02", "Nghỉ hoán đổi dịp 30/4-1/5", "Bridge day (made up on 26 Apr)", False, MOLISA_2025),
    ("2025-09-01", "Quốc khánh (ngày liền kề)", "National Day (adjacent day)", False, MOLISA_2025),
    ("2025-09-02", "Quốc khánh", "National Day", False, MOLISA_2025),
    ("2026-01-01", "Tết Dương lịch", "New Year's Day", False, MOHA_2026),
    ("2026-01-02", "Nghỉ hoán đổi Tết Dương lịch (làm bù thứ Bảy 10/01)", "New Year bridge day", False, MOHA_2026),
    ("2026-01-10", "Làm bù ngày nghỉ 02/01", "Make-up working day for 2 Jan", True, MOHA_2026),
    ("2026-02-16", "Tết Nguyên đán Bính Ngọ", "Lunar New Year (Tết)", False, MOHA_2026),
    ("2026-02-17", "Tết Nguyên đán Bính Ngọ", "Lunar New Year (Tết)", False, MOHA_2026),
    ("2026-02-18", "Tết Nguyên đán Bính Ngọ", "Lunar New Year (Tết)", False, MOHA_2026),
    ("2026-02-19", "Tết Nguyên đán Bính Ngọ", "Lunar New Year (Tết)", False, MOHA_2026),
    ("2026-02-20", "Tết Nguyên đán Bính Ngọ", "Lunar New Year (Tết)", False, MOHA_2026),
    ("2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương (Chủ nhật 26/4)", "Hùng Kings Day (compensatory)", False, MOHA_2026),
    ("2026-04-30", "Ngày Chiến thắng (30/4)", "Reunification Day", False, MOHA_2026),
    ("2026-05-01", "Ngày Quốc tế Lao động (1/5)", "International Workers' Day", False, MOHA_2026),
    ("2026-08-22", "Làm bù ngày nghỉ 31/08", "Make-up working day for 31 Aug", True, MOHA_2026),
    ("2026-08-31", "Nghỉ hoán đổi dịp Quốc khánh", "National Day bridge day", False, MOHA_2026),
    ("2026-09-01", "Quốc khánh (ngày liền kề)", "National Day (adjacent day)", False, MOHA_2026),
    ("2026-09-02", "Quốc khánh", "National Day", False, MOHA_2026),
    ("2027-01-01", "Tết Dương lịch", "New Year's Day", False, LABOR_CODE),
    ("2027-02-05", "Tết Nguyên đán Đinh Mùi", "Lunar New Year (Tết)", False, LABOR_CODE),
    ("2027-02-08", "Tết Nguyên đán Đinh Mùi", "Lunar New Year (Tết)", False, LABOR_CODE),
    ("2027-02-09", "Tết Nguyên đán Đinh Mùi", "Lunar New Year (Tết)", False, LABOR_CODE),
    ("2027-02-10", "Nghỉ bù Tết (thứ Bảy 06/02)", "Tết compensatory day", False, LABOR_CODE),
    ("2027-02-11", "Nghỉ bù Tết (Chủ nhật 07/02)", "Tết compensatory day", False, LABOR_CODE),
    ("2027-04-16", "Giỗ Tổ Hùng Vương (10/3 âm lịch)", "Hùng Kings Commemoration Day", False, LABOR_CODE),
    ("2027-04-30", "Ngày Chiến thắng (30/4)", "Reunification Day", False, LABOR_CODE),
    ("2027-05-03", "Nghỉ bù Ngày Quốc tế Lao động (thứ Bảy 01/05)", "Workers' Day (compensatory)", False, LABOR_CODE),
    ("2027-09-02", "Quốc khánh", "National Day", False, LABOR_CODE),
    ("2027-09-03", "Quốc khánh (ngày liền kề)", "National Day (adjacent day)", False, LABOR_CODE),
]


def forwards(apps, schema_editor):
    Holiday = apps.get_model("reports", "Holiday")
    for day, name, name_en, working, source in HOLIDAYS:
        Holiday.objects.get_or_create(
            date=dt.date.fromisoformat(day),
            defaults={"name": name, "name_en": name_en, "working": working, "source": source},
        )


class Migration(migrations.Migration):
    dependencies = [("reports", "0002_default_categories_and_roles")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
