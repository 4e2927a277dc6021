"""Thai text shown to users, in one place: labels, sheet names, dates in the Buddhist Era, and
the width a Thai text takes on screen."""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata

MONTHS = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip
THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")
# Thai and full-width digits as the ASCII digits codes and ids are kept in ("๒๗๐๒" is 2702).
ARABIC_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙０１２３４５６７８９", "01234567890123456789")


def be_year(day: dt.date) -> int:
    return day.year + 543


def thai_digits(text: object) -> str:
    return str(text).translate(THAI_DIGITS)


def arabic_digits(text: str) -> str:
    """District codes and person ids typed with Thai digits are the same codes: ๒๗๐๒ = 2702."""
    return text.translate(ARABIC_DIGITS)


# Thai vowel and tone marks above and below the line: they take no column.
_THAI_MARKS = {c: None for c in [0x0E31, *range(0x0E34, 0x0E3B), *range(0x0E47, 0x0E4F)]}
_NARROW = re.compile(r"[\x20-\x7e\u0e00-\u0e7f]*")


@functools.lru_cache(maxsize=1 << 16)
def display_width(text: str) -> int:
    """Columns a text takes on screen or paper: combining marks take none, wide signs two."""
    if _NARROW.fullmatch(text):  # the common case: ASCII and Thai only
        return len(text.translate(_THAI_MARKS))
    width = 0
    for ch in text:
        if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    return width


def date_long(day: dt.date, digits: bool = True) -> str:
    """'๗ มีนาคม ๒๕๖๗' (official letter style)."""
    text = f"{day.day} {MONTHS[day.month - 1]} {be_year(day)}"
    return thai_digits(text) if digits else text


def date_short(day: dt.date) -> str:
    """'7 มี.ค. 2567'."""
    return f"{day.day} {MONTHS_SHORT[day.month - 1]} {be_year(day)}"


def datetime_short(moment: dt.datetime) -> str:
    return f"{date_short(moment.date())} {moment:%H:%M} น."


# Column headers of the template's data sheets, by field id.
FIELD_HEADERS = {
    "key": "รหัสอ้างอิง",
    "no": "ลำดับ",
    "name": "ชื่อ-สกุล",
    "position": "ตำแหน่ง",
    "kpi": "ตัวชี้วัด",
    "weight": "น้ำหนัก (ร้อยละ)",
    "criteria": "เกณฑ์การให้คะแนน (ระดับ ๑–๕)",
    "percent": "ผลงาน (ร้อยละ)",
    "numerator": "ผลงาน (จำนวนที่ทำได้)",
    "denominator": "เป้าหมาย (จำนวน)",
    "amount": "ผลงาน (บาท)",
    "min": "ค่าขั้นต่ำ",
    "standard": "ค่ามาตรฐาน",
    "high": "ค่าขั้นสูง",
    "steps": "ขั้นที่ทำสำเร็จ",
    "na": "ไม่มีภารกิจ",
    "level": "ระดับที่ได้ (ตัวอย่าง)",
    "points": "คะแนน (ระดับ × น้ำหนัก)",
    "probation": "ทดลองงาน",
    "competency": "คะแนนสมรรถนะ",
    "team_score": "คะแนนตัวชี้วัดรายทีม",
    "individual_score": "คะแนนตัวชี้วัดรายบุคคล",
    "achievement": "ผลสัมฤทธิ์ของงาน",
    "total": "คะแนนรวม",
    "band": "ระดับผลการประเมิน",
    "signature": "ลายมือชื่อผู้รับการประเมิน",
}

NOT_APPLICABLE = "ไม่มีภารกิจ"
# What a district may type to mean "not applicable" (compared case-insensitively).
NOT_APPLICABLE_WORDS = frozenset({"ไม่มีภารกิจ", "n/a", "na", "ไม่มี"})

GROUP_TITLES = {"team": "ตัวชี้วัดรายทีม", "individual": "ตัวชี้วัดรายบุคคล"}
EVALUATOR = "ผู้ประเมิน"
EVALUATEE = "ผู้รับการประเมิน"


# Finding messages by code: what is wrong and what would be valid. Formatted with str.format;
# {value} is the offending value as typed, {valid} what would be accepted.
MESSAGES = {
    # The file as a whole
    "empty_file": "ไฟล์ว่างเปล่า (0 ไบต์) กรุณาส่งไฟล์แบบฟอร์มที่กรอกแล้วอีกครั้ง",
    "not_a_spreadsheet": "ไม่ใช่ไฟล์ตารางคำนวณ ({detail}) กรุณาส่งไฟล์ .xlsx ที่จังหวัดส่งให้",
    "pdf_file": "เป็นไฟล์ PDF ที่ตั้งชื่อเป็นไฟล์ Excel กรุณาส่งไฟล์ .xlsx ที่กรอกแล้ว ไม่ใช่ไฟล์ที่พิมพ์เป็น PDF",
    "truncated": "ไฟล์เสียหรือส่งมาไม่ครบ ({detail}) กรุณาบันทึกและส่งไฟล์ใหม่",
    "encrypted": "ไฟล์ถูกตั้งรหัสผ่าน จังหวัดเปิดอ่านไม่ได้ กรุณาบันทึกไฟล์ใหม่โดยไม่ตั้งรหัสผ่านแล้วส่งอีกครั้ง",
    "zip_bomb": "ไฟล์มีขนาดเมื่อแตกออกใหญ่ผิดปกติ ({detail}) จึงไม่อ่าน กรุณาส่งแบบฟอร์มต้นฉบับที่กรอกแล้ว",
    "xml_entities": "ไฟล์มีโครงสร้าง XML ที่ไม่ปลอดภัย (DOCTYPE/ENTITY) จึงไม่อ่าน กรุณาส่งแบบฟอร์มต้นฉบับที่กรอกแล้ว",
    "too_large": "ไฟล์ใหญ่เกินกำหนด ({detail}) กรุณาส่งเฉพาะแบบฟอร์มที่จังหวัดส่งให้",
    "macros": "ไฟล์มีมาโคร (.xlsm) ระบบอ่านเฉพาะค่าและไม่เรียกใช้มาโคร ครั้งต่อไปกรุณาบันทึกเป็น .xlsx",
    "stray_cells": "มีข้อมูลอยู่ไกลนอกพื้นที่แบบฟอร์ม ({cell}) ระบบข้ามเซลล์นี้ กรุณาลบออก",
    "legacy_xls": "ไฟล์เป็นรูปแบบเก่า (.xls) ระบบอ่านค่าได้แต่ตรวจรูปแบบร้อยละไม่ได้ ครั้งต่อไปกรุณาบันทึกเป็น .xlsx",
    "unsupported_format": "ไฟล์เป็นรูปแบบที่ระบบไม่รองรับ ({detail}) กรุณาเปิดแล้วบันทึกเป็น .xlsx แล้วส่งใหม่",
    "corrupt": "ไฟล์เสียหาย ({detail}) กรุณาบันทึกไฟล์ใหม่เป็น .xlsx แล้วส่งอีกครั้ง",
    "unreadable": "เปิดอ่านไฟล์ไม่ได้ ({detail}) กรุณาบันทึกเป็น .xlsx แล้วส่งใหม่",
    "not_a_template": "ไม่ใช่แบบฟอร์มของจังหวัด (ไม่พบแผ่นงาน _meta หรือคอลัมน์รหัสอ้างอิง) กรุณากรอกในแบบฟอร์มที่จังหวัดส่งให้",
    "wrong_round": "เป็นแบบฟอร์มของ {found} ไม่ใช่ของรอบนี้ ({valid}) กรุณากรอกในแบบฟอร์มรอบปัจจุบัน",
    "wrong_rubric": "ลายนิ้วมือเกณฑ์ในแบบฟอร์ม ({found}) ไม่ตรงกับเกณฑ์รอบนี้ ({valid}) แบบฟอร์มอาจถูกแก้ไข กรุณากรอกในแบบฟอร์มที่จังหวัดส่งให้",
    "template_format": "รุ่นของแบบฟอร์ม ({found}) ไม่รองรับ ต้องเป็นรุ่น {valid}",
    "unknown_district": "รหัสอำเภอในแบบฟอร์ม ({found}) ไม่มีในทะเบียนรายชื่อ อำเภอที่มี: {valid}",
    "file_name_district": "ชื่อไฟล์ระบุอำเภอ {found} แต่แบบฟอร์มเป็นของอำเภอ {valid} ระบบใช้ข้อมูลตามแบบฟอร์ม กรุณาตรวจสอบว่าส่งไฟล์ถูกอำเภอ",
    "duplicate_file": "ไฟล์นี้ซ้ำกับ {other} ทุกไบต์ ระบบใช้เพียงไฟล์เดียว",
    "conflict": "อำเภอ {district} ส่งมาสองไฟล์ที่ไม่เหมือนกัน ({other}) จังหวัดยังไม่คิดคะแนนอำเภอนี้จนกว่าจะนำไฟล์ที่ไม่ใช้ออก",
    "missing_return": "อำเภอ {district} ยังไม่ได้ส่งแบบฟอร์ม",
    "reader_crashed": "อ่านไฟล์ {name} ไม่สำเร็จ: {detail} ระบบข้ามไฟล์นี้และรวมผลไฟล์อื่นต่อไป (SHA-256 ของไฟล์ {sha256}) กรุณาส่งไฟล์อีกครั้ง หรือเปิดไฟล์ใน Excel แล้วบันทึกใหม่ก่อนส่ง",
    # Rows and cells
    "missing_row": "ไม่พบแถว {row_key} ในแบบฟอร์ม (อาจถูกลบ) กรุณาใช้แบบฟอร์มต้นฉบับ",
    "duplicate_cell": "ช่อง {cell} มีค่าสองค่าซ้อนกันในไฟล์ (ไฟล์อาจเสียหายหรือถูกแก้ด้วยโปรแกรมอื่น) ระบบไม่เดาว่าค่าใดถูกและไม่ใช้ช่องนี้ กรุณาพิมพ์ค่าในช่องนี้ใหม่ในแบบฟอร์ม บันทึกแล้วส่งอีกครั้ง",
    "misplaced_cell": "ในไฟล์มีช่อง {cell} ที่บันทึกไว้ในแถวอื่น (ตำแหน่งของช่องไม่ตรงกับแถว ไฟล์อาจเสียหาย) ระบบไม่ใช้ค่าของช่องนี้ กรุณาพิมพ์ค่าในช่องนี้ใหม่ในแบบฟอร์ม บันทึกแล้วส่งอีกครั้ง",
    "column_mismatch": "หัวคอลัมน์ (แถวที่ซ่อนไว้) ของแผ่นงานนี้ไม่ตรงกับแบบฟอร์มต้นฉบับ: ช่อง {key} อยู่คอลัมน์ {found} แต่แบบฟอร์มกำหนดไว้ที่คอลัมน์ {valid} (อาจมีช่องถูกแทรกหรือลบ หรือไฟล์เสียหาย) ค่าอาจเลื่อนไปอยู่ผิดคอลัมน์ ระบบไม่เดาและไม่ใช้ค่าของแถวที่ไม่ตรง กรุณากรอกในแบบฟอร์มต้นฉบับที่ได้รับ แล้วส่งอีกครั้ง",
    "misaligned_row": "แถวนี้มี {found} ช่อง ไม่เท่ากับจำนวนคอลัมน์ของแบบฟอร์ม ({valid} ช่อง) ค่าในแถวอาจเลื่อนไปอยู่ผิดคอลัมน์ ระบบไม่เดาและไม่ใช้ค่าในแถวนี้ กรุณาลบช่องที่แทรกเพิ่มหรือข้อความทางขวาของตาราง (หรือกรอกแถวนี้ใหม่ในแบบฟอร์มต้นฉบับ) ให้ทุกค่าตรงกับหัวคอลัมน์ แล้วส่งอีกครั้ง",
    "duplicate_row": "แถว {row_key} ปรากฏซ้ำ ({other}) ระบบไม่เดาว่าแถวใดถูก กรุณาลบแถวที่ซ้ำ",
    "unknown_person": "แถว {row_key} เป็นบุคคลที่ไม่มีในทะเบียนรายชื่อของอำเภอนี้ ระบบไม่นำมาคิดคะแนน",
    "missing_value": "ยังไม่ได้กรอก {label} (ช่องว่างไม่ถือเป็นศูนย์) ต้องกรอก {valid}",
    "not_a_number": 'ค่า "{value}" ไม่ใช่ตัวเลข ต้องกรอก {valid}',
    "formula_text": 'ค่า "{value}" เป็นสูตรหรือข้อความที่ขึ้นต้นด้วย = ต้องกรอก {valid}',
    "date_not_number": "ช่องนี้เป็นวันที่ ({value}) ต้องกรอก {valid}",
    "not_finite": "ค่า {value} ไม่ใช่ตัวเลขที่ใช้ได้ ต้องกรอก {valid}",
    "unexpected_percent": 'ค่า "{value}" มีเครื่องหมาย % แต่ช่องนี้ไม่ใช่ร้อยละ ต้องกรอก {valid}',
    "percent_format_on_non_percent": "ช่องนี้ถูกจัดรูปแบบเป็นร้อยละ แต่ต้องกรอก {valid}",
    "percent_ambiguous": "ค่า {value} ในไฟล์ .xls อาจเป็นร้อยละที่จัดรูปแบบไว้ (ตรวจไม่ได้) กรุณาบันทึกเป็น .xlsx หรือพิมพ์ตัวเลขร้อยละ เช่น 85",
    "out_of_range": "ค่า {value} อยู่นอกช่วงที่รับได้ ต้องกรอก {valid}",
    "not_integer": "ค่า {value} ต้องเป็นจำนวนเต็ม {valid}",
    "steps_duplicate": "ขั้นที่ติ๊กไว้ ({value}) ซ้ำกัน ต้องกรอกขั้นสูงสุดที่ทำสำเร็จ {valid}",
    "steps_gap": "ขั้นที่ติ๊กไว้ ({value}) ไม่ต่อเนื่อง ขั้นต้องสำเร็จตามลำดับ ต้องกรอกขั้นสูงสุดที่ทำสำเร็จ {valid}",
    "denominator_zero": "เป้าหมาย (ตัวหาร) เป็น 0 คำนวณร้อยละไม่ได้ ต้องกรอกจำนวนเป้าหมายตั้งแต่ 1 ขึ้นไป",
    "numerator_exceeds": "จำนวนที่ทำได้ ({value}) มากกว่าเป้าหมาย ({found}) ทำให้ผลงานเกินร้อยละ {valid} ต้องกรอกจำนวนที่ทำได้ไม่เกินจำนวนเป้าหมาย",
    "references_order": "ค่าเป้าหมายต้องเรียงจากน้อยไปมาก (ค่าขั้นต่ำ < ค่ามาตรฐาน < ค่าขั้นสูง) แต่กรอกไว้ {value}",
    "reference_changed": "ค่าเป้าหมายในไฟล์ ({value}) ต่างจากค่าที่ตกลงไว้ต้นรอบ ({valid}) ระบบใช้ค่าที่ตกลงไว้ต้นรอบ (ช่องนี้ถูกล็อกไว้ อาจมีการปลดล็อกแผ่นงาน)",
    # The two phases of a round and who owns which figure (agreements, province team results)
    "target_not_agreed": "{label} ไม่ได้ตกลงไว้ต้นรอบ ระบบใช้ค่าที่กรอกในแบบฟอร์มปลายรอบ ({value}) ซึ่งกรอกหลังทราบผลงานแล้ว คณะกรรมการควรตรวจสอบ",
    "team_result_differs": "ผลตัวชี้วัด {kpi} ที่อำเภอกรอก ({value}) ต่างจากผลของจังหวัด ({found} ที่ {other}) ระบบใช้ผลของจังหวัด",
    "team_result_missing": "ไฟล์ผลรายทีมของจังหวัดไม่มีผลตัวชี้วัด {kpi} ของอำเภอ {district} จึงยังคิดคะแนนรายทีมของอำเภอนี้ไม่ได้ (ผลที่อำเภอกรอกเองใช้ตรวจทานเท่านั้น) กรุณากรอกผลในไฟล์ผลรายทีมแล้วรวมผลใหม่",
    "team_results_not_given": "ไม่ได้ระบุไฟล์ผลรายทีมของจังหวัด (--team-results) ผลตัวชี้วัด {kpis} ที่ใช้คิดคะแนนจึงเป็นตัวเลขที่อำเภอกรอกเอง ไม่ใช่ของจังหวัด",
    "team_unknown_district": "แถวอำเภอ {found} ในไฟล์ผลรายทีมไม่มีในทะเบียนรายชื่อ ระบบไม่ใช้แถวนี้ อำเภอที่มี: {valid}",
    "team_unknown_column": "คอลัมน์ {found} ในไฟล์ผลรายทีมไม่ใช่ตัวชี้วัดรายทีมที่จังหวัดเป็นผู้ให้ผล ระบบไม่ใช้คอลัมน์นี้ คอลัมน์ที่ใช้ได้: {valid}",
    "wrong_form": "ไฟล์นี้เป็น{found} ไม่ใช่{valid}ที่ใช้ในขั้นตอนนี้ ระบบไม่อ่านค่าในไฟล์ กรุณาส่ง{valid}",
    "missing_agreement": "อำเภอ {district} ยังไม่ได้ส่งแบบข้อตกลงต้นรอบ",
    "na_not_allowed": 'ตัวชี้วัดนี้ระบุ "ไม่มีภารกิจ" ไม่ได้ ต้องกรอก {valid}',
    "na_with_value": 'ระบุทั้ง "ไม่มีภารกิจ" และกรอกผลงาน ({value}) ระบบไม่เดาว่าแบบใดถูก กรุณาลบอย่างใดอย่างหนึ่ง',
    "na_text": 'ค่า "{value}" ในช่องไม่มีภารกิจ ไม่ถูกต้อง ต้องเลือก "ไม่มีภารกิจ" หรือเว้นว่าง',
    "all_na": "ตัวชี้วัด{group}ทุกตัวระบุไม่มีภารกิจ คิดคะแนนกลุ่มนี้ไม่ได้",
    # {valid} is the whole explanation of level 0 (core/explain.py), e.g. "ผลงานร้อยละ 72.22
    # ต่ำกว่าเกณฑ์ระดับ 1 (ไม่น้อยกว่าร้อยละ 75) จึงได้ระดับ 0"
    "level_zero": "{valid}",
    "preview_mismatch": "ช่องระดับในไฟล์แสดงระดับ {found} แต่ค่าที่กรอกไว้ได้ระดับ {value} (ระบบใช้ระดับ {value}) ค่าอาจถูกแก้หลังการคำนวณครั้งล่าสุด หรือไฟล์เสียหาย กรุณาตรวจค่าในแถวนี้ เปิดไฟล์ด้วย Excel ให้คำนวณใหม่ แล้วบันทึกส่งอีกครั้ง",
}

# Why the reader of one file gave no result ({detail} of "reader_crashed"); `error` adds what
# the reader said, in brackets.
READER_FAILURES = {
    "signal": "โปรแกรมอ่านไฟล์หยุดทำงานกะทันหัน (สัญญาณ {signal})",
    "exit": "โปรแกรมอ่านไฟล์หยุดทำงานกะทันหัน (รหัส {exit_code})",
    "timeout": "ใช้เวลาอ่านเกิน {seconds} วินาที",
    "memory": "ใช้หน่วยความจำเกิน {memory_mb} MB",
    "error": "โปรแกรมอ่านไฟล์ขัดข้อง",
}

# Outputs that cannot be written, or that would overwrite an input: Thai first, English in brackets.
OUTPUT_ERRORS = {
    "write": "เขียนไฟล์ {target} ไม่ได้: {reason}",
    "is_input": "{option} {target} คือ{what}ที่ระบบต้องอ่าน ระบบไม่เขียนทับไฟล์ที่ส่งเข้ามา กรุณาระบุไฟล์อื่น (refusing to overwrite an input: {target})",
    "same_output": "{option} และ {other} ระบุไฟล์เดียวกัน ({target}) กรุณาระบุคนละไฟล์ (two outputs name one file)",
    "same_name": "ไฟล์ {first} และ {second} ชื่อเดียวกัน สำเนาที่ระบายสีจะเขียนทับกันใน {folder} กรุณาตรวจทีละโฟลเดอร์ (two returns share a file name)",
    "returns_folder": "{option} {folder} เป็นโฟลเดอร์ของไฟล์ที่ส่งเข้ามา กรุณาใช้โฟลเดอร์อื่น (use a folder other than the returns' own)",
}
INPUT_KINDS = {
    "return": "ไฟล์ที่อำเภอส่งกลับ",
    "roster": "ทะเบียนรายชื่อ",
    "rubric": "ไฟล์เกณฑ์",
    "manifest": "ไฟล์ manifest",
    "template": "แม่แบบข้อความ",
    "attachment": "ไฟล์แนบ",
    "previous": "ผลการประเมินรอบก่อน",
    "agreement": "แบบข้อตกลงที่อำเภอส่งกลับ",
    "targets": "ไฟล์ค่าเป้าหมายที่ตกลงไว้ต้นรอบ",
    "team_results": "ไฟล์ผลรายทีมของจังหวัด",
}
# Why writing failed, by errno name; anything else shows the system's own words.
OUTPUT_REASONS = {
    "ENOSPC": "ดิสก์เต็ม กรุณาลบไฟล์ที่ไม่ใช้แล้วหรือเลือกที่เก็บอื่น (no space left on the disk)",
    "EDQUOT": "พื้นที่ที่ได้รับอนุญาตบนดิสก์เต็ม กรุณาลบไฟล์ที่ไม่ใช้แล้วหรือเลือกที่เก็บอื่น (disk quota exceeded)",
    "EROFS": "ที่เก็บนี้เขียนไม่ได้ (อ่านอย่างเดียว) กรุณาเลือกโฟลเดอร์อื่น (read-only file system)",
    "EACCES": "ไม่มีสิทธิ์เขียนในโฟลเดอร์นี้ กรุณาเลือกโฟลเดอร์อื่น (permission denied)",
    "EPERM": "ไม่มีสิทธิ์เขียนในโฟลเดอร์นี้ กรุณาเลือกโฟลเดอร์อื่น (operation not permitted)",
    "ENOTDIR": "ส่วนหนึ่งของเส้นทางเป็นไฟล์ ไม่ใช่โฟลเดอร์ (not a folder)",
    "EEXIST": "ส่วนหนึ่งของเส้นทางเป็นไฟล์ ไม่ใช่โฟลเดอร์ (not a folder)",
    "EISDIR": "มีโฟลเดอร์ชื่อนี้อยู่แล้ว กรุณาระบุชื่อไฟล์ (is a folder)",
    "ENAMETOOLONG": "ชื่อไฟล์หรือเส้นทางยาวเกินไป (file name too long)",
}

SEVERITY_LABELS = {"error": "ข้อผิดพลาด", "warning": "คำเตือน"}
# The findings sheet at the front of an annotated copy sent back to a district.
ANNOTATED = {
    "sheet": "รายการที่ต้องแก้ไข",
    "title": "รายการที่ต้องแก้ไข แบบฟอร์มของ{office} ({code}) รอบการประเมินที่ {round}/{year}",
    "title_no_district": "รายการที่ต้องแก้ไข แบบฟอร์ม {file} รอบการประเมินที่ {round}/{year}",
    "what_to_do": "ช่องที่ต้องแก้ไขระบายสีแดง ช่องที่ควรตรวจสอบระบายสีเหลือง ชี้ที่ช่องเพื่ออ่านคำอธิบาย แก้ไขในไฟล์นี้ได้เลย (แผ่นงานอื่นกรอกได้ตามปกติ) แล้วบันทึกและส่งไฟล์นี้กลับจังหวัด",
    "contact": "สอบถาม: {contact}",
    "comment_author": "จังหวัด",
    "team": "รายทีม (ทุกคน)",
    "where": "{sheet} {cell}",
}
ANNOTATED_HEADERS = ("ข้อ", "ต้องทำ", "ผู้รับการประเมิน", "ตัวชี้วัด / ช่อง", "แผ่นงาน เซลล์", "สิ่งที่พบและวิธีแก้ไข")
ANNOTATED_ACTIONS = {"error": "แก้ไข", "warning": "ตรวจสอบ"}
STATUS_LABELS = {
    "scored": "คิดคะแนนแล้ว",
    "incomplete": "ข้อมูลไม่ครบ",
    "missing": "ไม่มีข้อมูล",
    "received": "ได้รับแล้ว",
    "rejected": "ไม่รับไฟล์",
}

# -- district templates (templates.py) ------------------------------------------------------------
# Placeholders in braces are filled by the template writer; numbers come from the rubric.
ROUND_LABEL = "รอบการประเมินที่ {round}"
DISTRICT_OFFICE = "สำนักงานพัฒนาชุมชนอำเภอ{name}"
YES = "ใช่"
PAGE_FOOTER = "หน้า &P จาก &N"
FOOTER_DISTRICT = "อำเภอ{name} ({code})"
TEMPLATE_TITLE = "{group} — {office} — {round}"
SHEET_HINT = (
    "กรอกเฉพาะช่องสีเหลือง • ช่องสีเขียวคำนวณให้อัตโนมัติเพื่อตรวจทาน • ช่องสีเทาไม่ต้องกรอก"
    " • อ่านวิธีกรอกในแผ่นงาน “{instructions}”"
)
SUMMARY_TITLE = "สมรรถนะและสรุปคะแนนผลการประเมิน — {office} — {round}"
FOOTER_SHEET = "{sheet} • {round}"
# Column headers of the printed tables: short lines ("\n") so that narrow columns never break a
# word. The key column keeps FIELD_HEADERS["key"] (the reader looks for it).
COLUMN_HEADERS = {
    "key": FIELD_HEADERS["key"],
    "no": "ลำดับ",
    "name": "ชื่อ-สกุล",
    "position": "ตำแหน่ง",
    "kpi": "ตัวชี้วัด",
    "weight": "น้ำหนัก\n(ร้อยละ)",
    "criteria": FIELD_HEADERS["criteria"],
    "percent": "ผลงาน\n(ร้อยละ)",
    "numerator": "จำนวน\nที่ทำได้",
    "denominator": "เป้าหมาย\n(จำนวน)",
    "amount": "ผลงาน\n(บาท)",
    "min": "ค่า\nขั้นต่ำ",
    "standard": "ค่า\nมาตรฐาน",
    "high": "ค่า\nขั้นสูง",
    "steps": "ขั้นที่ทำ\nสำเร็จ",
    "na": "ไม่มี\nภารกิจ",
    "level": "ระดับ\nที่ได้",
    "probation": "ทดลอง\nงาน",
    "competency": "คะแนน\nสมรรถนะ",
    "team_score": "คะแนน\nรายทีม",
    "individual_score": "คะแนน\nรายบุคคล",
    "achievement": "ผลสัมฤทธิ์\nของงาน",
    "total": "คะแนน\nรวม",
    "band": "ระดับผล\nการประเมิน",
    "signature": "ลายมือชื่อ\nผู้รับการประเมิน",
}
# The heading row above each officer's KPIs on the individual sheet.
OFFICER_HEADING = "ผู้รับการประเมิน {no}. {name}"
OFFICER_POSITION = "   ตำแหน่ง {position}"

INSTRUCTIONS = {
    "period": "ระยะเวลาการประเมิน {start} – {end}",
    "unit": "หน่วยงาน: {office} (รหัส {code})  ผู้รับการประเมิน {people} คน",
    "deadlines": "กำหนดการ",
    "deadline": "{title}: ภายในวันที่ {date}",
    "colours": "ความหมายของสีในแบบฟอร์ม",
    "how_to_fill": "วิธีกรอก",
    "fill_team": (
        "แผ่นงาน “{sheet}”: กรอกผลงานของอำเภอในช่องสีเหลือง ตัวชี้วัดละ ๑ แถว (ผลรายทีมใช้ร่วมกันทุกคนในอำเภอ)"
    ),
    "fill_individual": (
        "แผ่นงาน “{sheet}”: กรอกผลงานของแต่ละคน คนละ {kpis} แถว (ตัวชี้วัดละ ๑ แถว) ชื่อและตำแหน่งพิมพ์ไว้ให้แล้ว"
    ),
    "fill_summary": (
        "แผ่นงาน “{sheet}”: กรอกคะแนนสมรรถนะของแต่ละคน ตรวจคะแนนในช่องสีเขียว"
        " พิมพ์ให้ผู้ประเมินและผู้รับการประเมินลงนาม แล้วส่งไฟล์ Excel นี้กลับจังหวัด"
    ),
    "blank": "ช่องที่เว้นว่างไม่ใช่ศูนย์: ถ้ายังไม่กรอกข้อมูลที่จำเป็น ช่องสีเขียวจะว่างไว้ และจังหวัดจะคิดคะแนนไม่ได้",
    "dont": (
        "ห้ามเปลี่ยนชื่อแผ่นงาน ห้ามแทรก ลบ หรือเรียงลำดับแถว ห้ามใช้ไฟล์ของอำเภออื่น"
        " และส่งกลับเป็นไฟล์ .xlsx ไฟล์นี้ (คัดลอกข้อมูลมาวางให้ใช้ “วางแบบค่า”)"
    ),
    "fields": "ความหมายของช่องที่ต้องกรอก",
    "how_scored": "วิธีคิดคะแนน",
    "level": "ระดับของตัวชี้วัด = ระดับสูงสุดที่ผ่านเกณฑ์ครบทุกข้อ (ดูช่อง “{criteria}”) ถ้าไม่ถึงระดับ ๑ ได้ระดับ 0",
    "group": "คะแนน{group} (0–100) = Σ(ระดับที่ได้ × น้ำหนัก) ÷ {max_level}",
    "na": "ตัวชี้วัดที่เลือก “{na}” จะไม่นำมาคิด และเฉลี่ยน้ำหนักของตัวชี้วัดที่เหลือในกลุ่มใหม่ให้ครบ 100",
    "achievement": "ผลสัมฤทธิ์ของงาน = {parts}",
    "share": "{name} × ร้อยละ {share}",
    "total": "คะแนนรวม = {parts}",
    "probation": "ผู้ทดลองงาน: คะแนนรวม = {parts}",
    "rounding": "ปัดเศษเฉพาะผลลัพธ์ที่แสดงเป็นทศนิยม {decimals} ตำแหน่ง (ตั้งแต่ครึ่งหนึ่งปัดขึ้น)",
    "bands": "ระดับผลการประเมิน (จากคะแนนรวม)",
    "band_top": "{name}: ตั้งแต่ {min} ขึ้นไป",
    "band": "{name}: ตั้งแต่ {min} แต่ต่ำกว่า {below}",
    "band_bottom": "{name}: ต่ำกว่า {below}",
    "preview": "ช่องสีเขียวเป็นการคำนวณเพื่อให้อำเภอตรวจทานเท่านั้น จังหวัดจะคำนวณคะแนนใหม่จากข้อมูลที่กรอก",
    "contact": "สอบถามรายละเอียด: {contact}",
    "generated": "สร้างแบบฟอร์มเมื่อ {when} สำหรับ{office}เท่านั้น",
}
COLOUR_MEANINGS = {
    "input": "สีเหลือง: ช่องที่อำเภอต้องกรอก",
    "reference": "สีฟ้า: ค่าเป้าหมายที่จังหวัดกำหนดไว้แล้ว (แก้ไขไม่ได้)",
    "preview": "สีเขียว: คำนวณให้อัตโนมัติเพื่อตรวจทาน",
    "unused": "สีเทา: ไม่ใช้กับตัวชี้วัดนี้ ไม่ต้องกรอก",
}
# What each input column means, for the instructions sheet.
FIELD_HELP = {
    "percent": "พิมพ์ตัวเลขร้อยละ เช่น 85 หมายถึงร้อยละ 85 (ไม่ต้องพิมพ์ %)",
    "numerator": "จำนวนที่ทำได้ (จำนวนเต็ม) ร้อยละคำนวณจาก จำนวนที่ทำได้ × 100 ÷ เป้าหมาย",
    "denominator": "จำนวนเป้าหมาย (จำนวนเต็ม ตั้งแต่ 1 ขึ้นไป)",
    "amount": "จำนวนเงินเป็นบาท พิมพ์เฉพาะตัวเลข",
    "min": "ค่าเป้าหมายขั้นต่ำที่ตกลงไว้ต้นรอบ (ถ้าจังหวัดกำหนดไว้แล้วจะเป็นช่องสีฟ้า)",
    "standard": "ค่าเป้าหมายมาตรฐานที่ตกลงไว้ต้นรอบ (ถ้าจังหวัดกำหนดไว้แล้วจะเป็นช่องสีฟ้า)",
    "high": "ค่าเป้าหมายขั้นสูงที่ตกลงไว้ต้นรอบ (ถ้าจังหวัดกำหนดไว้แล้วจะเป็นช่องสีฟ้า)",
    "steps": "เลือกขั้นสูงสุดที่ทำสำเร็จครบทุกขั้นก่อนหน้า (0 = ยังไม่สำเร็จขั้นใด)",
    "na": "เลือก “ไม่มีภารกิจ” เฉพาะตัวชี้วัดที่ไม่มีภารกิจ ถ้ามีภารกิจให้เว้นว่าง",
    "competency": "คะแนนสมรรถนะ {lo}–{hi} ที่ผู้ประเมินให้",
}
# Data validation (Excel limits: title 32 characters, message 255).
VALIDATION = {
    "percent": "พิมพ์ตัวเลขร้อยละ {range} เช่น 85 หมายถึงร้อยละ 85 (ไม่ต้องพิมพ์ %) ยังไม่ทราบให้เว้นว่าง",
    "percent_error": "ต้องเป็นตัวเลขร้อยละ {range} เช่น 85 (ไม่ต้องพิมพ์ %)",
    "numerator": "พิมพ์จำนวนที่ทำได้เป็นจำนวนเต็ม ตั้งแต่ 0 ขึ้นไป",
    "numerator_error": "ต้องเป็นจำนวนเต็มตั้งแต่ 0 ขึ้นไป",
    "denominator": "พิมพ์จำนวนเป้าหมายเป็นจำนวนเต็ม ตั้งแต่ 1 ขึ้นไป",
    "denominator_error": "ต้องเป็นจำนวนเต็มตั้งแต่ 1 ขึ้นไป",
    "amount": "พิมพ์จำนวนเงิน (บาท) เป็นตัวเลขตั้งแต่ 0 ขึ้นไป ไม่ต้องพิมพ์คำว่า บาท",
    "reference": "พิมพ์{name}ที่ตกลงไว้ต้นรอบ (บาท) เป็นตัวเลขตั้งแต่ 0 ขึ้นไป",
    "number_error": "ต้องเป็นตัวเลขตั้งแต่ 0 ขึ้นไป (ไม่ต้องพิมพ์หน่วยหรือข้อความ)",
    "steps": (
        "เลือก 0–{max}: ขั้นสูงสุดที่ทำสำเร็จครบทุกขั้นก่อนหน้า"
        " (รายละเอียดแต่ละขั้นอยู่ในช่อง “{criteria}”) 0 = ยังไม่สำเร็จขั้นใด"
    ),
    "steps_error": "เลือกจากรายการ 0–{max} เท่านั้น",
    "na": "เลือก “{na}” เฉพาะเมื่อไม่มีภารกิจตามตัวชี้วัดนี้ ถ้ามีภารกิจให้เว้นว่าง",
    "na_error": "เลือก “{na}” จากรายการ หรือเว้นว่าง",
    "competency": "พิมพ์คะแนนสมรรถนะ {lo}–{hi} ที่ผู้ประเมินให้",
    "competency_error": "ต้องเป็นตัวเลข {lo}–{hi}",
    "error_title": "ข้อมูลไม่ถูกต้อง",
    "range": "{lo}–{hi}",
    "range_open": "ตั้งแต่ {lo} ขึ้นไป",
}
SIGNATURE_BLOCK = {
    "sign": "ลงชื่อ ........................................ {role}",
    "name": "( ........................................ )",
    "position_evaluator": "ตำแหน่ง พัฒนาการอำเภอ{name}",
    "position": "ตำแหน่ง ........................................",
    "date": "วันที่ ...... เดือน ............ พ.ศ. ........",
}


# -- summary workbook (attachment 3, แบบสรุปคะแนนผลการประเมิน): labels used by summary.py --------

SUMMARY_SHEETS = {
    "people": "สรุปรายบุคคล",
    "districts": "สรุปรายอำเภอ",
    "levels": "การกระจายระดับ",
    "findings": "ข้อค้นพบ",
    "provenance": "ที่มาของข้อมูล",
    "rubric": "เกณฑ์การประเมิน",
    "review": "ข้อสังเกตสำหรับคณะกรรมการ",
    "targets": "ค่าเป้าหมายที่ใช้",
    "team": "ผลรายทีมจังหวัดและอำเภอ",
}
SUMMARY_TITLES = {
    "people": "แบบสรุปคะแนนผลการประเมินผลการปฏิบัติราชการ รายบุคคล",
    "districts": "สรุปผลการประเมินรายอำเภอ",
    "levels": "การกระจายระดับของตัวชี้วัด แยกรายอำเภอ (จำนวนคน)",
    "findings": "ข้อค้นพบจากการตรวจแบบฟอร์ม (สิ่งที่คิดคะแนนไม่ได้และเหตุผล)",
    "files": "ไฟล์ที่ได้รับทั้งหมด",
    "sources": "ที่มาของตัวเลขแต่ละรายการ (ไฟล์ แผ่นงาน เซลล์)",
    "rubric": "เกณฑ์การประเมินที่ใช้คิดคะแนน",
    "kpis": "ตัวชี้วัด น้ำหนัก และเกณฑ์ระดับ",
    "scoring": "การคิดคะแนน",
}
SUMMARY_ROUND = "รอบการประเมินที่ {round}/{year} ({start} – {end})"
SUMMARY_COMPLETE = "ข้อมูลครบทุกอำเภอและทุกคน"
SUMMARY_INCOMPLETE = (
    "ข้อมูลยังไม่ครบ: ยังไม่ส่ง {missing} อำเภอ, ไม่รับไฟล์ {rejected} อำเภอ, "
    'ยังคิดคะแนนไม่ได้ {people} คน (ดูแผ่นงาน "ข้อค้นพบ")'
)
SUMMARY_FINDINGS_COUNT = "ข้อผิดพลาด {errors} รายการ, คำเตือน {warnings} รายการ"
SUMMARY_HEADERS = {
    "no": "ลำดับ",
    "district": "อำเภอ",
    "district_code": "รหัสอำเภอ",
    "name": "ชื่อ-สกุล",
    "position": "ตำแหน่ง",
    "probation": "ทดลองงาน",
    "result": "ผล",
    "level": "ระดับ",
    "team_score": "คะแนนตัวชี้วัดรายทีม",
    "individual_score": "คะแนนตัวชี้วัดรายบุคคล",
    "achievement": "ผลสัมฤทธิ์ของงาน",
    "competency": "สมรรถนะ",
    "total": "คะแนนรวม",
    "band": "ระดับผลการประเมิน",
    "status": "สถานะ",
    "rank_district": "ลำดับในอำเภอ",
    "rank_province": "ลำดับในจังหวัด",
    "people": "จำนวนบุคลากร (คน)",
    "roster": "ตามทะเบียน",
    "scored": "คิดคะแนนแล้ว",
    "incomplete": "ข้อมูลไม่ครบ",
    "missing": "ไม่มีข้อมูล",
    "totals": "คะแนนรวมของผู้ที่คิดคะแนนแล้ว",
    "average": "เฉลี่ย",
    "min": "ต่ำสุด",
    "max": "สูงสุด",
    "bands": "จำนวนตามระดับผลการประเมิน (คน)",
    "kpi": "รหัส",
    "kpi_title": "ตัวชี้วัด",
    "level_n": "ระดับ {n}",
    "na": "ไม่มีภารกิจ",
    "undetermined": "ยังไม่ทราบระดับ",
    "count": "รวม (คน)",
    "severity": "ความรุนแรง",
    "code": "รหัสข้อค้นพบ",
    "file": "ไฟล์",
    "sheet": "แผ่นงาน",
    "cell": "เซลล์",
    "key": "รหัสอ้างอิง",
    "message": "ข้อความ",
    "path": "ที่อยู่ไฟล์",
    "size": "ขนาด (ไบต์)",
    "sha256": "SHA-256",
    "format": "รูปแบบ",
    "template_version": "รุ่นแบบฟอร์ม",
    "reason": "เหตุผล",
    "person_id": "รหัสบุคลากร",
    "field": "ช่องข้อมูล",
    "group": "กลุ่ม",
    "weight": "น้ำหนัก (ร้อยละ)",
    "input": "ชนิดข้อมูล",
    "source": "แหล่งข้อมูล",
    "allow_na": "ไม่มีภารกิจได้",
    "level_text": "เกณฑ์",
    "rule": "เงื่อนไข",
    "setting": "รายการ",
    "value": "ค่า",
}
DISTRICT_STATUS_LABELS = {"received": "ได้รับแล้ว", "rejected": "ไม่รับไฟล์", "missing": "ยังไม่ได้ส่ง"}
FILE_STATUS_LABELS = {
    "accepted": "ใช้ข้อมูล",
    "duplicate": "ไฟล์ซ้ำ (ไม่ใช้)",
    "conflict": "ขัดแย้งกับไฟล์อื่น (ไม่ใช้)",
    "rejected": "ไม่รับไฟล์",
}
INPUT_KIND_LABELS = {
    "percent": "ร้อยละ",
    "ratio": "จำนวนที่ทำได้ ÷ เป้าหมาย × ๑๐๐",
    "amount": "จำนวนเงิน (บาท) เทียบค่าเป้าหมาย",
    "steps": "ขั้นความสำเร็จ (สะสม)",
    "steps_percent": "ขั้นความสำเร็จ และร้อยละ",
}
MEASURE_LABELS = {
    "percent": "ร้อยละ",
    "amount": "จำนวนเงิน",
    "steps": "ขั้นที่ทำสำเร็จ",
    "min": "ค่าขั้นต่ำ",
    "standard": "ค่ามาตรฐาน",
    "high": "ค่าขั้นสูง",
}
# -- why a KPI has its level (core/explain.py puts these words together) -----------------------
# Comparisons as a coordinator says them, and as the rubric's level texts do ("ไม่น้อยกว่าร้อยละ ๗๕").
COMPARISON_WORDS = {">=": "ไม่น้อยกว่า", ">": "มากกว่า", "<=": "ไม่เกิน", "<": "น้อยกว่า"}
# What was achieved, the subject of a sentence ({n}: the number as a person writes it).
EXPLAIN_VALUE = {
    "percent": "ผลงานร้อยละ {n}",
    "amount": "ผลงาน {n} บาท",
    "steps": "ทำสำเร็จถึงขั้นที่ {n}",
}
EXPLAIN_NO_STEP = "ยังไม่สำเร็จขั้นใด"  # steps = 0
# A threshold after a comparison word: in a statement of what was achieved ("ผลงานร้อยละ 85
# มากกว่า 80"), in what a level needs ("ต้องมากกว่าร้อยละ 85"), and a reference target by name.
EXPLAIN_TARGET = {
    "held": {"percent": " {n}", "amount": " {n} บาท", "steps": "ขั้นที่ {n}"},
    "needs": {"percent": "ร้อยละ {n}", "amount": " {n} บาท", "steps": "ขั้นที่ {n}"},
    "reference": {
        "percent": "{name} (ร้อยละ {n})",
        "amount": "{name} ({n} บาท)",
        "steps": "{name} (ขั้นที่ {n})",
    },
}
EXPLAIN = {
    "steps_needs": "ทำสำเร็จ{comparison}",  # a steps condition other than "at least step n"
    "steps_reached": "ทำสำเร็จถึงขั้นที่ {n}",  # steps >= n
    "step_text": "{needs} คือ {text}",  # the rubric's own text of the step a level needs
    "and": " และ",
    "held": "{facts} จึงได้ระดับ {level}",
    "top": "{held} ซึ่งเป็นระดับสูงสุด",
    "next": "; ระดับ {level} ต้อง{needs}",
    "zero": "{facts} {relation}เกณฑ์ระดับ 1 ({needs}) จึงได้ระดับ 0",
    "undetermined": "ยังไม่ได้กรอก{what} จึงยังตัดสินระดับไม่ได้",
    "or": " หรือ",
    "not_applicable": "ไม่มีภารกิจตามตัวชี้วัดนี้ จึงไม่นำมาคิดคะแนน และเฉลี่ยน้ำหนักของตัวชี้วัดที่เหลือในกลุ่มใหม่ให้ครบ 100",
}
# How a value that reaches no level stands against level 1: below a lower bound, above an upper
# bound, exactly on a strict bound, or several conditions at once.
EXPLAIN_RELATION = {"below": "ต่ำกว่า", "above": "สูงกว่า", "short": "ไม่ถึง", "fails": "ไม่ผ่าน"}
# The first line of `pda-excel level`.
LEVEL_LINES = {
    "level": "{kpi}: ระดับ {level} ({text})",
    "zero": "{kpi}: ระดับ 0",
    "undetermined": "{kpi}: ยังตัดสินระดับไม่ได้",
    "na": "{kpi}: ไม่มีภารกิจ",
}

SHARE_LABELS = {
    "team": "รายทีม",
    "individual": "รายบุคคล",
    "achievement": "ผลสัมฤทธิ์ของงาน",
    "competency": "สมรรถนะ",
}
ROUNDING_LABELS = {"half_up": "ปัดครึ่งขึ้น (ครึ่งหนึ่งปัดขึ้นเสมอ)"}
STEP_PREFIX = "ขั้น"  # shown before a milestone step number: "ขั้น 4"
YES_MARK = "ใช่"
PROVINCE_TOTAL = "รวมทั้งจังหวัด"
TEAM_FIGURES = "รายทีม (ใช้กับทุกคนในอำเภอ)"
PAGE_LABEL = "หน้า"
PRINTED_LABEL = "จัดทำเมื่อ"
CHART_TITLE = "คะแนนรวมเฉลี่ยของผู้ที่คิดคะแนนแล้ว รายอำเภอ"
CHART_X_AXIS = "อำเภอ"
CHART_Y_AXIS = "คะแนนรวมเฉลี่ย"
BAND_AT_LEAST = "{name} ≥ {min}"
BAND_BELOW = "{name} < {min}"
SCORING_NOTE = (
    "หลักเกณฑ์การคิดคะแนน: คะแนนตัวชี้วัดแต่ละกลุ่ม = Σ(ระดับ × น้ำหนัก) ÷ {max_level} "
    "(ตัวชี้วัดที่ไม่มีภารกิจไม่นำมาคิด และเฉลี่ยน้ำหนักที่เหลือของกลุ่มใหม่); "
    "ผลสัมฤทธิ์ของงาน = {group_shares}; คะแนนรวม = {components} "
    "(ผู้ทดลองงาน: {probation_components}); ปัดเศษทศนิยม {decimals} ตำแหน่งแบบ{rounding}; "
    "ระดับผลการประเมิน: {bands}"
)
RUBRIC_INFO = {
    "id": "รหัสเกณฑ์",
    "title": "ชื่อการประเมิน",
    "organisation": "หน่วยงาน",
    "round": "รอบการประเมิน",
    "period": "ช่วงเวลาการประเมิน",
    "sha256": "ลายนิ้วมือเกณฑ์ (SHA-256)",
    "contact": "ติดต่อ",
    "group_shares": "ผลสัมฤทธิ์ของงาน",
    "components": "คะแนนรวม",
    "probation_components": "คะแนนรวม (ผู้ทดลองงาน)",
    "competency_range": "ช่วงคะแนนสมรรถนะ",
    "max_level": "ระดับสูงสุดของตัวชี้วัด",
    "decimals": "จำนวนทศนิยม",
    "rounding": "การปัดเศษ",
    "bands": "ระดับผลการประเมิน",
}
COMMITTEE_TITLE = "คณะกรรมการกลั่นกรองผลการประเมินผลการปฏิบัติราชการ ระดับจังหวัด"
COMMITTEE_SIGNERS = ("ประธานกรรมการ", "กรรมการ", "กรรมการและเลขานุการ")
SIGNATURE_LINE = "ลงชื่อ ............................................................"
SIGNATURE_NAME_LINE = "( ............................................................ )"
SIGNATURE_DATE_LINE = "วันที่ .... เดือน .......... พ.ศ. ......"
# The terminal digest printed by the CLI after a consolidation.
TERMINAL_TITLE = "สรุปผลการรวบรวม {rubric} รอบการประเมินที่ {round}/{year}"
TERMINAL_HEADERS = ("รหัส", "อำเภอ", "สถานะ", "คิดคะแนน/ไม่ครบ/ไม่มีข้อมูล", "เฉลี่ย")
TERMINAL_DISTRICTS = "อำเภอ {n} แห่ง: {counts}"
TERMINAL_ATTENTION = 'อำเภอที่ต้องติดตาม {n} แห่ง (ยังไม่ได้ส่ง ไม่รับไฟล์ มีผู้ที่ยังคิดคะแนนไม่ได้ หรือมีข้อผิดพลาด) ทุกอำเภออยู่ในแผ่นงาน "{sheet}" ของไฟล์สรุป หรือใช้ --all'
TERMINAL_NO_ATTENTION = "ไม่มีอำเภอที่ต้องติดตาม: ทุกอำเภอส่งแล้ว คิดคะแนนครบทุกคน และไม่มีข้อผิดพลาด"
TERMINAL_MORE_DISTRICTS = '… และอีก {n} อำเภอที่ต้องติดตาม ดูทุกอำเภอด้วย --all หรือในแผ่นงาน "{sheet}"'
TERMINAL_TOTAL = "รวม {n} อำเภอ"
TERMINAL_FINDINGS = "ข้อค้นพบ: {counts}"
TERMINAL_NO_FINDINGS = "ข้อค้นพบ: ไม่มี"
TERMINAL_FIRST_ERRORS = "ข้อผิดพลาด {n} รายการแรก:"
TERMINAL_MORE_ERRORS = '… และอีก {n} รายการ ดูแผ่นงาน "ข้อค้นพบ" ในไฟล์สรุป'

SOURCES_IN_JSON = "มีผู้รับการประเมินเกิน {limit} คน ตารางที่มาของตัวเลขรายช่องจึงอยู่ในไฟล์ JSON (people[].sources: ไฟล์ แผ่นงาน เซลล์ ของทุกตัวเลข) แทนการพิมพ์ในแผ่นงานนี้"

# -- the committee's review (round/review.py) and its sheet -------------------------------------
REVIEW_SHEET = "ข้อสังเกตสำหรับคณะกรรมการ"
REVIEW_CODE_LABELS = {
    "identical_rows": "ผลเหมือนกันทุกตัว",
    "all_max_level": "ทุกคนได้ระดับสูงสุด",
    "district_outlier": "ค่าเฉลี่ยต่างจากอำเภออื่นมาก",
    "threshold_bunching": "ผลอยู่ที่เกณฑ์ระดับพอดี",
    "band_quota": "เกินสัดส่วนที่กำหนด",
    "big_change": "เปลี่ยนจากรอบก่อนมาก",
}
# Review notes, by code (and variant). Figures come with two decimals.
REVIEW_MESSAGES = {
    "identical_rows": (
        "{names} ({count} คน) มีผลตัวชี้วัดรายบุคคลเหมือนกันทุกตัวทั้ง {kpis} ตัวชี้วัด "
        "อาจคัดลอกแถวกันมา ควรตรวจกับหลักฐานผลงาน"
    ),
    "identical_competency": "ผู้รับการประเมินทั้ง {count} คนของอำเภอได้คะแนนสมรรถนะเท่ากันทุกคน ({value})",
    "all_max_level": (
        "ผู้รับการประเมินทุกคนของอำเภอ ({count} คน) ได้ระดับ {level} ซึ่งเป็นระดับสูงสุดของตัวชี้วัด {kpi} "
        "(ทั้งจังหวัด {province_count} จาก {province_officers} คนได้ระดับ {level} คิดเป็นร้อยละ {province_share})"
    ),
    "district_outlier_high": (
        "{measure}ของอำเภอ{district} ({mean}) สูงกว่าค่ากลางของอำเภออื่น ({median}) {gap} คะแนน {spread}"
    ),
    "district_outlier_low": (
        "{measure}ของอำเภอ{district} ({mean}) ต่ำกว่าค่ากลางของอำเภออื่น ({median}) {gap} คะแนน {spread}"
    ),
    "threshold_bunching": (
        "{count} จาก {officers} คนที่มีผลตัวชี้วัด {kpi} ได้ผลเท่ากับ {boundary} พอดี "
        "ซึ่งเป็นเกณฑ์ขั้นต่ำของระดับ {level} ({names})"
    ),
    "threshold_bunching_reference": (
        "{count} จาก {officers} คนที่มีผลตัวชี้วัด {kpi} ได้ผลเท่ากับ{reference}ของตนพอดี "
        "ซึ่งเป็นเกณฑ์ขั้นต่ำของระดับ {level} ({names})"
    ),
    "band_quota": (
        "ระดับ{band} {count} จาก {scored} คน (ร้อยละ {share}) เกินสัดส่วนที่กำหนดไม่เกินร้อยละ {limit} "
        "(ไม่เกิน {allowed} คน) อยู่ {over} คน"
    ),
    "band_quota_province": (
        "ทั้งจังหวัด ระดับ{band} {count} จาก {scored} คน (ร้อยละ {share}) เกินสัดส่วนที่กำหนด"
        "ไม่เกินร้อยละ {limit} (ไม่เกิน {allowed} คน) อยู่ {over} คน"
    ),
    "big_change": (
        "{name}: คะแนนรวมรอบก่อน {previous_total} ({previous_band}) รอบนี้ {total} ({band}) "
        "เปลี่ยน {change} คะแนน {steps}"
    ),
    "big_change_new": "{name}: ไม่มีในผลการประเมินรอบก่อน (ผู้รับการประเมินใหม่หรือย้ายมา)",
    "big_change_gone": "{name}: มีในผลการประเมินรอบก่อน (คะแนนรวม {previous_total}) แต่ไม่มีในรอบนี้",
}
REVIEW_SPREAD = "หรือ {z} เท่าของการกระจายระหว่างอำเภออื่น (1.4826 × MAD = {scale})"
REVIEW_SPREAD_NONE = "(อำเภออื่นมีค่าเฉลี่ยเท่ากันทุกอำเภอ)"
REVIEW_MEASURES = {"total": "คะแนนรวมเฉลี่ย", "competency": "คะแนนสมรรถนะเฉลี่ย"}
REVIEW_STEPS = {
    "up": "ระดับผลการประเมินสูงขึ้น {n} ระดับ",
    "down": "ระดับผลการประเมินต่ำลง {n} ระดับ",
    "same": "ระดับผลการประเมินเท่าเดิม",
    "unknown": "",
}
REVIEW_TERMINAL = "ข้อสังเกตสำหรับคณะกรรมการ (ไม่ใช่ข้อผิดพลาด ไม่เปลี่ยนคะแนน): {n} รายการ"
REVIEW_TERMINAL_NONE = "ข้อสังเกตสำหรับคณะกรรมการ: ไม่มี"
REVIEW_TERMINAL_WHERE = 'อ่านรายละเอียดในแผ่นงาน "{sheet}" ของ {summary}'
REVIEW_TERMINAL_JSON = ' และรายการ "review" ใน {json}'
# The committee's sheet in the summary workbook.
REVIEW_TITLES = {
    "sheet": "ข้อสังเกตสำหรับคณะกรรมการกลั่นกรองผลการประเมินผลการปฏิบัติราชการ",
    "intro": (
        "ข้อสังเกตชี้สิ่งที่คณะกรรมการควรพิจารณาเรื่องความเป็นธรรมระหว่างอำเภอ ไม่ใช่ข้อผิดพลาด "
        "และไม่เปลี่ยนคะแนนของผู้ใด หลักฐานเป็นตัวเลขจากผลที่รวบรวมได้ เกณฑ์ที่ใช้อยู่ท้ายแผ่นงาน"
    ),
    "notes": "ข้อสังเกตแยกตามอำเภอ",
    "stats": "สถิติรายอำเภอเปรียบเทียบกัน (คะแนนรวมของผู้ที่คิดคะแนนแล้ว)",
    "bands_chart": "สัดส่วนระดับผลการประเมินของผู้ที่คิดคะแนนแล้ว รายอำเภอ",
    "histogram": "การกระจายของคะแนนรวม (ผู้ที่คิดคะแนนแล้ว)",
    "settings": "เกณฑ์ของข้อสังเกต (ตั้งค่าได้ในไฟล์เกณฑ์ หัวข้อ review)",
}
REVIEW_COUNTS = "จำนวนข้อสังเกต {total} รายการ: {counts}"
REVIEW_NONE = "ไม่มีข้อสังเกตในรอบนี้"
REVIEW_PROVINCE = "ทั้งจังหวัด"
REVIEW_GROUP_HEADING = "{where} — ข้อสังเกต {n} รายการ"
REVIEW_DISTRICT = "{code} อำเภอ{name}"
REVIEW_CHART_OMITTED = "มีมากกว่า {n} อำเภอ จึงไม่แสดงแผนภูมิรายอำเภอ ดูตัวเลขในตารางด้านบน"
REVIEW_HEADERS = {
    "no": "ลำดับ",
    "code": "ประเภทข้อสังเกต",
    "person": "ผู้รับการประเมิน",
    "kpi": "ตัวชี้วัด",
    "message": "ข้อสังเกตและหลักฐาน",
    "district_code": "รหัส",
    "district": "อำเภอ",
    "officers": "บุคลากร\n(คน)",
    "scored": "คิดคะแนน\nแล้ว (คน)",
    "totals": "คะแนนรวม",
    "mean": "เฉลี่ย",
    "median": "มัธยฐาน",
    "min": "ต่ำสุด",
    "max": "สูงสุด",
    "competency": "สมรรถนะ\nเฉลี่ย",
    "count": "คน",
    "share": "ร้อยละ",
    "range": "ช่วงคะแนนรวม",
    "setting": "เกณฑ์",
    "value": "ค่าที่ใช้",
    "meaning": "ความหมาย",
    "previous_total": "คะแนนรวม\nรอบก่อน",
    "previous_band": "ระดับ\nรอบก่อน",
    "change": "ต่างจาก\nรอบก่อน",
}
REVIEW_AXES = {"totals": "คะแนนรวม", "people": "จำนวนคน"}
REVIEW_QUOTA = "{band} ไม่เกินร้อยละ {limit}"
REVIEW_NO_QUOTA = "ไม่กำหนด"
# Each review setting: its label and what it means (the value comes from the rubric).
REVIEW_SETTINGS = {
    "min_officers": (
        "จำนวนผู้ที่คิดคะแนนแล้วขั้นต่ำของอำเภอ (คน)",
        "ข้อสังเกตระดับอำเภอ (ทุกคนได้ระดับสูงสุด สมรรถนะเท่ากันทุกคน ค่าเฉลี่ยต่างจากอำเภออื่น) "
        "พิจารณาเฉพาะอำเภอที่มีผู้ได้คะแนนอย่างน้อยเท่านี้",
    ),
    "outlier_score": (
        "ค่าเฉลี่ยต่างจากอำเภออื่น: ระยะห่าง (เท่าของการกระจาย)",
        "ค่าเฉลี่ยของอำเภอห่างจากค่ากลาง (มัธยฐาน) ของอำเภออื่นอย่างน้อยเท่านี้เท่าของการกระจาย "
        "(1.4826 × MAD ของอำเภออื่น ไม่นับอำเภอที่พิจารณา จึงซ่อนตัวเองไม่ได้)",
    ),
    "outlier_points": (
        "ค่าเฉลี่ยต่างจากอำเภออื่น: ระยะห่างขั้นต่ำ (คะแนน)",
        "และห่างจากค่ากลางของอำเภออื่นอย่างน้อยเท่านี้คะแนน",
    ),
    "outlier_districts": (
        "ค่าเฉลี่ยต่างจากอำเภออื่น: จำนวนอำเภออื่นขั้นต่ำ",
        "เปรียบเทียบเมื่อมีอำเภออื่นที่มีค่าเฉลี่ยอย่างน้อยเท่านี้",
    ),
    "bunching_count": (
        "ผลอยู่ที่เกณฑ์ระดับพอดี: จำนวนคนขั้นต่ำ",
        "ผู้รับการประเมินในอำเภอเดียวกันได้ผลเท่ากับเกณฑ์ขั้นต่ำของระดับใดระดับหนึ่งพอดีอย่างน้อยเท่านี้คน",
    ),
    "bunching_share": (
        "ผลอยู่ที่เกณฑ์ระดับพอดี: สัดส่วนขั้นต่ำ (ร้อยละ)",
        "และเป็นอย่างน้อยร้อยละเท่านี้ของผู้ที่มีผลตัวชี้วัดนั้นในอำเภอ",
    ),
    "change_points": (
        "เปลี่ยนจากรอบก่อน: คะแนนรวม (คะแนน)",
        "คะแนนรวมเปลี่ยนจากรอบก่อนอย่างน้อยเท่านี้คะแนน (เมื่อระบุผลรอบก่อนด้วย --previous)",
    ),
    "change_bands": (
        "เปลี่ยนจากรอบก่อน: ระดับผลการประเมิน (ระดับ)",
        "หรือระดับผลการประเมินเปลี่ยนอย่างน้อยเท่านี้ระดับ; ผู้ที่ไม่มีในรอบก่อนหรือไม่มีในรอบนี้ก็มีข้อสังเกต",
    ),
    "band_quota": (
        "สัดส่วนสูงสุดของระดับผลการประเมิน",
        "จำนวนคนในระดับนั้นเกินร้อยละที่กำหนดของผู้ที่คิดคะแนนแล้ว รายอำเภอและทั้งจังหวัด",
    ),
}


# -- the per-officer summary evaluation form (แบบสรุปการประเมินผลการปฏิบัติราชการ): officer_form.py --

OFFICER_FORM = {
    "sheet": "แบบสรุปการประเมิน",
    "missing_sheet": "ยังไม่มีแบบสรุป",
    "title": "แบบสรุปการประเมินผลการปฏิบัติราชการ",
    "round": "{round} ตั้งแต่วันที่ {start} ถึงวันที่ {end}",
    "part1": "ส่วนที่ ๑ ข้อมูลของผู้รับการประเมิน",
    "name": "ชื่อผู้รับการประเมิน  {name}   (รหัส {pid})",
    "position": "ตำแหน่ง  {position}",
    "probation": "สถานะ  อยู่ระหว่างทดลองปฏิบัติหน้าที่ราชการ",
    "unit": "สังกัด  {office}  {organisation}",
    "evaluator": "ชื่อผู้ประเมิน  {name}   ตำแหน่ง  {position}",
    "evaluator_blank": "ชื่อผู้ประเมิน  ........................................   ตำแหน่ง  ........................................",
    "part2": "ส่วนที่ ๒ การสรุปผลการประเมิน",
    "component": "องค์ประกอบการประเมิน",
    "score": "คะแนน (ก)",
    "weight": "น้ำหนัก (ข)",
    "product": "รวมคะแนน\n(ก)×(ข)\n÷ ๑๐๐",
    "achievement": "ผลสัมฤทธิ์ของงาน",
    "competency": "พฤติกรรมการปฏิบัติราชการ (สมรรถนะ)",
    "total": "รวม",
    "bands": "ระดับผลการประเมิน",
    "band_range": "{name}  ({low}–{high} คะแนน)",
    "band_top": "{name}  ({low} คะแนนขึ้นไป)",
    "tick": "☑",
    "box": "☐",
    "part3": "ส่วนที่ ๓ แผนพัฒนาการปฏิบัติราชการรายบุคคล และความเห็นของผู้ประเมิน",
    "plan": "ความรู้/ทักษะ/สมรรถนะที่ต้องได้รับการพัฒนา วิธีการพัฒนา และช่วงเวลาที่ต้องการการพัฒนา",
    "comments": "ความเห็นของผู้ประเมิน (จุดเด่น และ/หรือ สิ่งที่ควรปรับปรุงแก้ไข)",
    "part4": "ส่วนที่ ๔ การรับทราบผลการประเมิน",
    "acknowledge": "ผู้รับการประเมิน: ได้รับทราบผลการประเมินและแผนพัฒนาการปฏิบัติราชการรายบุคคลแล้ว",
    "refused": "ผู้ประเมิน: ได้แจ้งผลการประเมินเมื่อวันที่ ............................ แต่ผู้รับการประเมินไม่ลงนามรับทราบ โดยมี ............................ เป็นพยาน",
    "witness": "พยาน",
    "part5": "ส่วนที่ ๕ ความเห็นของผู้บังคับบัญชาเหนือขึ้นไป",
    "agree": "☐ เห็นด้วยกับผลการประเมิน",
    "differ": "☐ มีความเห็นต่าง ดังนี้",
    "superior": "ผู้บังคับบัญชาเหนือขึ้นไป",
    "superior2": "ผู้บังคับบัญชาเหนือขึ้นไปอีกชั้นหนึ่ง (ถ้ามี)",
    "attachment1": "เอกสารแนบ ๑ แบบประเมินผลสัมฤทธิ์ของงาน",
    "attachment2": "เอกสารแนบ ๒ แบบประเมินสมรรถนะ",
    "of_officer": "{name}  ตำแหน่ง {position}  {office}",
    "kpi": "ตัวชี้วัด",
    "level": "ระดับ\n(๑–๕)",
    "kpi_weight": "น้ำหนัก",
    "level_weight": "ระดับ ×\nน้ำหนัก",
    "result": "ผลงาน\nที่ทำได้",
    "note": "หมายเหตุ",
    "group_sum": "รวม{group}",
    "group_score": "คะแนน{group} = Σ(ระดับ × น้ำหนัก) × ๑๐๐ ÷ (Σน้ำหนัก × {max_level}) = {score}",
    "achievement_line": "ผลสัมฤทธิ์ของงาน = {parts} = {score} คะแนน",
    "achievement_part": "{group} {score} × {share}%",
    "na": "ไม่มีภารกิจ (ไม่นำมาคิดคะแนน)",
    "province": "ผลจากจังหวัด: {source}",
    "province_differs": "ผลจากจังหวัด: {source} (อำเภอกรอก {value})",
    "district": "ผลที่อำเภอกรอก",
    "targets": "{targets}",
    "agreed": " (ตกลงต้นรอบ)",
    "competency_item": "สมรรถนะ (คะแนนรวมจากแบบประเมินสมรรถนะ ๐–๑๐๐)",
    "competency_header": "สมรรถนะ",
    "competency_score": "คะแนน",
    "competency_weight": "น้ำหนัก (%)",
    "competency_product": "คะแนน × น้ำหนัก\n÷ ๑๐๐",
    "competency_source": "จากแบบฟอร์ม {file} แผ่นงาน {sheet} เซลล์ {cell}",
    "missing_title": "ผู้รับการประเมินที่ยังไม่มีแบบสรุป ({office})",
    "missing_hint": "แบบสรุปจะออกให้เมื่อกรอกข้อมูลครบ กรุณากรอกรายการด้านล่างในแบบฟอร์มแล้วส่งใหม่",
    "missing_pid": "รหัส",
    "missing_name": "ชื่อ-สกุล",
    "missing_position": "ตำแหน่ง",
    "missing_what": "ข้อมูลที่ยังขาด",
    "missing_return": "อำเภอยังไม่ได้ส่งแบบฟอร์ม",
    "missing_kpi": "{kpi} {title}: ยังไม่มีผล",
    "missing_competency": "คะแนนสมรรถนะ: ยังไม่ได้กรอก",
    "rubric_mismatch": "ผลการประเมิน {path} ใช้เกณฑ์ {found} ไม่ตรงกับเกณฑ์ที่ให้มา ({expected}) กรุณาระบุ --rubric ให้ตรงกับที่ใช้รวมผล",
    "bad_json": "อ่านผลการประเมิน {path} ไม่ได้: {detail} (ต้องเป็นไฟล์ JSON ที่ได้จาก consolidate --json)",
    "no_soffice": "ไม่พบโปรแกรม LibreOffice (soffice) จึงทำไฟล์ PDF ไม่ได้ ไฟล์ Excel เขียนไว้แล้ว ติดตั้ง LibreOffice แล้วสั่งใหม่เพื่อได้ PDF",
    "pdf_failed": "LibreOffice แปลง {file} เป็น PDF ไม่สำเร็จ: {detail}",
}


# -- the start of the round and the province's team results (agreements.py, team results) --------

# The kinds of form (keys.FORM_*), as a finding names them.
FORM_LABELS = {
    "return": "แบบฟอร์มผลการประเมินปลายรอบ",
    "agreement": "แบบข้อตกลงตัวชี้วัดและค่าเป้าหมายต้นรอบ",
    "team_results": "แบบบันทึกผลตัวชี้วัดรายทีมของจังหวัด",
}
AGREEMENT_TITLE = "ข้อตกลงการปฏิบัติราชการ: ตัวชี้วัดและค่าเป้าหมาย (ต้นรอบ) — {office} — {round}"
AGREEMENT_HINT = (
    "กรอกค่าเป้าหมายที่ผู้ประเมินและผู้รับการประเมินตกลงกันในช่องสีเหลือง • พิมพ์หน้าละ ๑ คน"
    " ให้ทั้งสองฝ่ายลงนามเก็บไว้เป็นหลักฐาน • อ่านวิธีกรอกในแผ่นงาน “{instructions}”"
)
# The note in a team KPI's target cells: its result is not agreed but supplied.
AGREEMENT_TEAM_SOURCE = {
    "province": "ใช้ผลของจังหวัด ({source})",
    "district": "ใช้ผลที่อำเภอรายงาน",
}
AGREEMENT_NO_TARGET = "ไม่มีค่าเป้าหมายที่ต้องตกลง"
AGREEMENT_VALIDATION = {
    "above": "พิมพ์{name}ที่ตกลงไว้ (บาท) ต้องมากกว่า{below}",
    "above_error": "{name}ต้องเป็นตัวเลขที่มากกว่า{below} (ค่าขั้นต่ำ < ค่ามาตรฐาน < ค่าขั้นสูง)",
}
AGREEMENT_INSTRUCTIONS = {
    "title": "แบบข้อตกลงตัวชี้วัดและค่าเป้าหมาย (บันทึกต้นรอบ)",
    "why": (
        "ตามหนังสือจังหวัด ข้อ ๑ ผู้ประเมินและผู้รับการประเมินต้องตกลงตัวชี้วัดและค่าเป้าหมายไว้ตั้งแต่ต้นรอบ"
        " และพิมพ์เอกสารให้ทั้งสองฝ่ายลงนามเก็บไว้เป็นหลักฐาน ปลายรอบจังหวัดจะคิดคะแนนเทียบกับค่าเป้าหมายที่ตกลงไว้นี้เท่านั้น"
    ),
    "fill": "แผ่นงาน “{sheet}”: หนึ่งหน้าต่อผู้รับการประเมินหนึ่งคน กรอกค่าเป้าหมายที่ตกลงกันในช่องสีเหลือง ชื่อ ตำแหน่ง ตัวชี้วัด น้ำหนัก และเกณฑ์พิมพ์ไว้ให้แล้ว",
    "references": "ค่าขั้นต่ำ < ค่ามาตรฐาน < ค่าขั้นสูง ต้องเรียงจากน้อยไปมาก เป็นจำนวนเงิน (บาท)",
    "denominator": "เป้าหมาย (จำนวน) เป็นจำนวนเต็มตั้งแต่ 1 ขึ้นไป เช่น จำนวนครัวเรือนเป้าหมาย",
    "blank": "ช่องที่เว้นว่างถือว่ายังไม่ได้ตกลง ไม่ใช่ศูนย์ ปลายรอบค่าที่ไม่ได้ตกลงไว้จะถูกแจ้งให้คณะกรรมการทราบ",
    "sign": "พิมพ์แผ่นงานนี้ (หนึ่งหน้าต่อคน) ให้ผู้ประเมินและผู้รับการประเมินลงนามและลงวันที่ เก็บต้นฉบับไว้ที่อำเภอ",
    "return": "ส่งไฟล์ Excel นี้กลับจังหวัด (.xlsx ไม่ตั้งรหัสผ่าน ไม่เปลี่ยนชื่อแผ่นงาน) ภายในวันที่ {date}",
    "after": "จังหวัดจะนำค่าเป้าหมายที่ตกลงไว้ใส่ในแบบฟอร์มปลายรอบให้ล่วงหน้าและล็อกไว้ (ช่องสีฟ้า) แก้ไขภายหลังไม่ได้",
    "generated": "สร้างแบบข้อตกลงเมื่อ {when} สำหรับ{office}เท่านั้น",
}
# Fields of the targets workbook written by `agreements collect` (sheet "targets", read back by
# the roster reader), after its machine columns.
TARGETS_SHEET_HEADERS = {
    "person_id": "person_id",
    "kpi": "kpi",
    "name": "ชื่อ-สกุล",
    "district": "อำเภอ",
    "source": "แบบข้อตกลงที่มา",
}
TARGETS_FINDINGS_SHEET = "ข้อค้นพบ"
TARGETS_FINDINGS_TITLE = "ข้อค้นพบจากแบบข้อตกลงต้นรอบ (ค่าเป้าหมายที่ยังใช้ไม่ได้และเหตุผล)"
COLLECT_DIGEST = "ค่าเป้าหมายที่ตกลงแล้ว {agreed} จาก {expected} รายการ ({people} คน) ข้อค้นพบ: {counts}"

# The province's team results sheet (team-sheet).
TEAM_SHEET_TITLE = "ผลตัวชี้วัดรายทีม รายอำเภอ — {organisation} — {round}"
TEAM_SHEET_LINES = (
    "แต่ละกลุ่มงานกรอกผลของตัวชี้วัดที่ตนเป็นแหล่งข้อมูล (ใต้ชื่อกลุ่มงาน) ในช่องสีเหลือง อำเภอละ ๑ แถว",
    "ร้อยละพิมพ์เป็นตัวเลข เช่น 85 หมายถึงร้อยละ 85 • ตัวชี้วัดแบบขั้นตอนพิมพ์ขั้นสูงสุดที่ทำสำเร็จ (0–{steps})",
    "ช่องที่เว้นว่างไม่ใช่ศูนย์: อำเภอที่ยังไม่มีผลของจังหวัดจะยังคิดคะแนนรายทีมไม่ได้ • ผลที่อำเภอกรอกเองใช้ตรวจทานเท่านั้น",
)
TEAM_SHEET_HEADERS = {"key": "รหัสอำเภอ", "district_name": "อำเภอ", "people": "จำนวนคน"}

# `pda-excel demo`: the steps of the sample round, in the letter's order.
DEMO_STEPS = {
    "roster": "1. ทะเบียนรายชื่อ (roster): {path}  {people} คน {districts} อำเภอ",
    "agreements": "2. แบบข้อตกลงต้นรอบ (agreements): {path}  {files} ไฟล์ + manifest.csv",
    "agreements_returned": "3. แบบข้อตกลงที่อำเภอส่งกลับ: {path}  {files} ไฟล์",
    "collect": "4. ค่าเป้าหมายที่ตกลงไว้ (agreements collect): {path}  ตกลงแล้ว {agreed}/{expected} รายการ  ข้อค้นพบ: {findings}",
    "templates": "5. แบบฟอร์มปลายรอบ ล็อกค่าเป้าหมายที่ตกลงไว้ (templates --targets): {path}  {files} ไฟล์ + manifest.csv",
    "returns": "6. แบบฟอร์มที่อำเภอส่งกลับ: {path}  {files} ไฟล์",
    "team": "7. ผลรายทีมของจังหวัด (team-sheet): {sheet}  กรอกแล้ว: {filled}",
    "consolidate": "8. สรุปผล (consolidate --targets --team-results): {path}  และ {json}",
    "annotated": "9. ไฟล์ที่ต้องส่งกลับให้อำเภอแก้ไข (check --annotate): {path}  {files} ไฟล์",
}

# The summary's sheets of the targets used and the team figures (SUMMARY_SHEETS "targets", "team").
ORIGIN_TITLES = {
    "targets": "ค่าเป้าหมายที่ใช้คิดคะแนน: ตกลงไว้ต้นรอบหรือไม่",
    "team": "ผลตัวชี้วัดรายทีม: ผลของจังหวัดและผลที่อำเภอกรอก",
}
ORIGIN_LABELS = {
    "agreed": "ตกลงไว้ต้นรอบ",
    "typed": "อำเภอกรอกปลายรอบ (ไม่ได้ตกลงไว้ต้นรอบ)",
    "province": "จังหวัด",
    "district": "อำเภอ",
}
ORIGIN_HEADERS = {
    "origin": "ที่มา",
    "province_value": "ผลของจังหวัด",
    "district_value": "ผลที่อำเภอกรอก",
    "used": "ผลที่ใช้",
    "work_group": "แหล่งข้อมูล",
}
ORIGIN_NO_TEAM_FILE = "ไม่ได้ระบุไฟล์ผลรายทีมของจังหวัด ผลรายทีมที่ใช้เป็นตัวเลขที่อำเภอกรอก"

# -- the round folder, the tracker and the page ------------------------------------------------

SETTING_LABELS = {
    "rubric": "เกณฑ์การประเมิน",
    "roster": "ทะเบียนรายชื่อ",
    "targets": "ค่าเป้าหมายที่ตกลงไว้ต้นรอบ",
    "team_results": "ผลตัวชี้วัดรายทีมของจังหวัด",
}
ROUND_ERRORS = {
    "not_round": "{folder} ไม่ใช่โฟลเดอร์รอบการประเมิน (ไม่มี round.json) สร้างด้วย pda-excel init {folder} --roster ทะเบียนรายชื่อ.xlsx (not a round folder)",
    "bad_record": "{file} อ่านไม่ได้หรือไม่ใช่ไฟล์ของรอบการประเมิน: {detail} (round.json is not valid)",
    "exists": "{folder} เป็นโฟลเดอร์รอบการประเมินอยู่แล้ว ถ้าต้องการเปลี่ยนไฟล์ตั้งค่า ใช้ pda-excel init {folder} --update --roster ไฟล์ใหม่ (already a round folder)",
    "not_empty": "{folder} มีไฟล์อื่นอยู่แล้ว กรุณาระบุโฟลเดอร์ใหม่หรือโฟลเดอร์ว่าง (the folder is not empty)",
    "bad_suffix": "{what} {file} ต้องเป็นไฟล์ {valid} (wrong file type)",
    "unreadable": "อ่าน{what} {file} ไม่ได้: {detail} (cannot read the file)",
    "setting_gone": "ไม่พบไฟล์{what} {file} กรุณาคัดลอกกลับมาหรือระบุไฟล์ใหม่ด้วย --update (the setting's file is gone)",
    "round_and_option": "{folder} เป็นโฟลเดอร์รอบการประเมิน ซึ่งมีไฟล์ตั้งค่าของรอบอยู่แล้ว ไม่ต้องระบุ {option} (a round folder brings its own settings)",
    "write": "เขียน {target} ไม่ได้: {detail} (cannot write)",
    "missing_args": "ระบุโฟลเดอร์รอบการประเมิน หรือระบุ {options} (give a round folder or {english})",
}
ROUND_MESSAGES = {
    "created": "สร้างโฟลเดอร์รอบการประเมิน {folder} แล้ว",
    "updated": "ปรับไฟล์ตั้งค่าของ {folder} แล้ว: {changed}",
    "unchanged": "ไฟล์ตั้งค่าของ {folder} ไม่มีการเปลี่ยนแปลง",
    "setting": "  {label}: {file}  sha256 {sha256}",
    "next": "ขั้นต่อไป: pda-excel templates {folder}  แล้ว pda-excel serve {folder}",
    "changed_warning": "คำเตือน: {file} ถูกแก้ไขหลังจากคัดลอกเข้ามาในรอบการประเมิน (sha256 เดิม {old}, ตอนนี้ {new}) ถ้าตั้งใจแก้ ให้ยืนยันด้วย pda-excel init {folder} --update",
}
TRACKER = {
    "title": "ติดตามการส่งแบบประเมิน {rubric} รอบการประเมินที่ {round}/{year}",
    "deadline": "กำหนดส่ง: {title} {date} — {when}",
    "no_deadline": "กำหนดส่ง: เกณฑ์ไม่ได้ระบุวันกำหนดส่ง",
    "days_left": "เหลืออีก {n} วัน",
    "due_today": "ครบกำหนดวันนี้",
    "days_past": "เลยกำหนดมาแล้ว {n} วัน",
    "counts": "ข้อมูล ณ {today}: ได้รับแล้ว {received} จาก {total} อำเภอ, ต้องดำเนินการ {attention} อำเภอ",
    "left": "เหลือ {n} วัน",
    "late_missing": "เลยกำหนด {n} วัน",
    "late_returned": "ส่งช้า {n} วัน",
    "on_time": "ตรงเวลา",
    "nothing_to_do": "ไม่มีอำเภอที่ต้องดำเนินการในตอนนี้",
    "hidden": "ไม่แสดงอีก {n} อำเภอที่ยังไม่ต้องดำเนินการ (ดูทุกอำเภอด้วย --all)",
    "other_files": "ไฟล์ในกล่องรับที่ไม่ทราบว่าเป็นของอำเภอใด:",
    "ignored_files": "ไฟล์ในกล่องรับที่ไม่ใช่ไฟล์ตาราง (.xlsx .xlsm .xls .ods) จึงไม่นำมารวมผล:",
    "setting_changed": "คำเตือน: {file} ถูกแก้ไขหลังจากคัดลอกเข้ามาในรอบการประเมิน ถ้าตั้งใจแก้ ให้ยืนยันด้วย pda-excel init {folder} --update แล้วสร้างแบบฟอร์มใหม่ถ้าจำเป็น",
    "setting_gone": "คำเตือน: ไม่พบไฟล์ {file} ของรอบการประเมิน กรุณาคัดลอกกลับมา หรือระบุไฟล์ใหม่ด้วย pda-excel init {folder} --update",
}
TRACKER_HEADERS = (
    "รหัส",
    "อำเภอ",
    "แบบฟอร์ม",
    "อีเมล",
    "ไฟล์ที่ได้รับ",
    "ผิด/เตือน",
    "คิดคะแนน/ไม่ครบ/ทั้งหมด",
    "กำหนดส่ง",
    "สิ่งที่ต้องทำ",
)
TEMPLATE_LABELS = {
    "none": "ยังไม่สร้าง",
    "made": "สร้างแล้ว",
    "changed": "ไฟล์ถูกแก้",
    "outdated": "ต้องสร้างใหม่",
}
MAIL_LABELS = {"none": "ยังไม่ส่ง", "no_email": "ไม่มีอีเมล", "draft": "ร่างแล้ว", "sent": "ส่งแล้ว"}
RETURNED_LABELS = {
    "received": "ได้รับ",
    "conflict": "ไฟล์ขัดกัน",
    "rejected": "อ่านไม่ได้",
    "missing": "ยังไม่ได้รับ",
}
NEXT_ACTIONS = {
    "make_templates": "สร้างแบบฟอร์ม",
    "remake_templates": "สร้างแบบฟอร์มใหม่ (ไฟล์ตั้งค่าเปลี่ยนหรือแบบฟอร์มถูกแก้)",
    "send_mail": "ส่งแบบฟอร์มทางอีเมล",
    "wait": "รอไฟล์ตอบกลับ",
    "chase": "ติดตามไฟล์ (เลยกำหนด {days_late} วัน)",
    "resolve_conflict": "มีหลายไฟล์ที่ต่างกัน: ย้ายไฟล์ที่ไม่ใช้ออกให้เหลือไฟล์เดียว",
    "ask_new_file": "ขอไฟล์ใหม่จากอำเภอ (ไฟล์ที่ได้รับใช้ไม่ได้)",
    "send_back": "ส่งสำเนาที่ระบายสีกลับให้อำเภอแก้ไข",
    "ask_missing": "ขอข้อมูลที่ยังขาดจากอำเภอ",
    "done": "เรียบร้อย",
}

# The page (pda-excel serve): titles, messages, and why a request is refused.
WEB_TITLES = {
    "tracker": "ติดตามการส่งแบบประเมิน",
    "returns": "รับไฟล์ที่อำเภอส่งกลับ",
    "checked": "ผลการตรวจไฟล์ที่ได้รับ",
    "results": "รวมผลและดาวน์โหลด",
    "settings": "เกณฑ์และทะเบียนรายชื่อ",
}
WEB_DOWNLOADS = {"summary": "แบบสรุปคะแนน (Excel)", "json": "ผลการประเมิน (JSON)"}
WEB_MESSAGES = {
    "no_files": "ยังไม่ได้เลือกไฟล์ กรุณาเลือกหรือลากไฟล์มาวางก่อนกดรับไฟล์",
    "no_annotated": "ทำสำเนาที่ระบายสีไม่ได้ เพราะไฟล์นี้เปิดแก้เป็น .xlsx ไม่ได้ กรุณาแจ้งอำเภอตามรายการข้างล่าง",
    "set_aside": "ย้าย {name} ออกจากกล่องรับไปไว้ในโฟลเดอร์ {target} แล้ว (ไฟล์ยังอยู่ครบ ไม่นำมารวมผล)",
    "consolidated": "รวมผลแล้ว: คิดคะแนน {scored} คน, ข้อมูลไม่ครบ {incomplete} คน, ยังไม่มีข้อมูล {missing} คน",
    "templates": "สร้างแบบฟอร์มแล้ว {n} อำเภอ",
    "no_templates": "ยังไม่มีแบบฟอร์ม กรุณาสร้างแบบฟอร์มก่อน",
    "drafts": "ทำร่างอีเมลแล้ว {n} ฉบับ",
}
WEB_ERROR_TITLES = {
    400: "คำขอไม่ถูกต้อง",
    403: "ไม่อนุญาต",
    404: "ไม่พบหน้าหรือไฟล์นี้",
    405: "ไม่รองรับคำขอนี้",
    409: "ทำรายการนี้ไม่ได้",
    413: "ไฟล์ใหญ่เกินไป",
    500: "เกิดข้อผิดพลาด",
}
WEB_ERRORS = {
    "host": "หน้านี้เปิดได้จากเครื่องนี้เท่านั้น (ที่อยู่ http://127.0.0.1) ไม่รับคำขอที่ส่งมาในชื่อ {host}",
    "origin": "ไม่รับคำขอที่ส่งมาจากเว็บไซต์อื่น กรุณาใช้ปุ่มบนหน้านี้",
    "token": "คำขอนี้ไม่มีรหัสยืนยันของหน้า (หน้าอาจเปิดค้างไว้ก่อนเริ่มโปรแกรมใหม่) กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง",
    "too_large": "ไฟล์ที่ส่งครั้งนี้รวมกันใหญ่เกิน {limit} MB ไม่ได้บันทึกไฟล์ใด กรุณาส่งทีละน้อยไฟล์",
    "too_many": "ส่งได้ครั้งละไม่เกิน {limit} ไฟล์ ไม่ได้บันทึกไฟล์ใด",
    "not_found": "ไม่พบหน้าหรือไฟล์นี้",
    "method": "หน้านี้ไม่รองรับคำขอแบบนี้",
    "bad_request": "คำขอไม่ถูกต้อง",
    "library": "{detail}",
    "unexpected": "เกิดข้อผิดพลาดที่ไม่คาดคิด ({detail}) โปรแกรมยังทำงานอยู่ กรุณาลองใหม่ หรือแจ้งผู้ดูแลพร้อมข้อความนี้",
}
SERVE_MESSAGES = {
    "serving": "หน้าเว็บของรอบการประเมิน {folder}: {url}  (กด Ctrl+C เพื่อปิด)",
    "remote": "คำเตือน: เปิดให้เครื่องอื่นในเครือข่ายเข้าหน้านี้ได้ทาง {host} ใครก็ตามที่เข้าถึงเครือข่ายนี้จะดูและส่งไฟล์ได้ ใช้เฉพาะเมื่อจำเป็น",
    "refuse_remote": "{host} ไม่ใช่ที่อยู่ของเครื่องนี้ หน้าเว็บเปิดเฉพาะในเครื่องนี้ เว้นแต่สั่งด้วย --host โดยตรง (refusing to listen on {host})",
    "port_busy": "เปิดหน้าเว็บที่ {host}:{port} ไม่ได้: {detail} กรุณาใช้ --port หมายเลขอื่น",
    "stopped": "ปิดหน้าเว็บแล้ว",
}

# The competency sheet of a template whose rubric lists competencies (keys.SHEET_COMPETENCIES).
COMPETENCY_SHEET = {
    "title": "ประเมินสมรรถนะ — {office} — {round}",
    "hint": (
        "กรอกระดับที่ประเมินได้ของแต่ละสมรรถนะในช่องสีเหลือง (จำนวนเต็ม {lo}–{hi})"
        " • ช่องสีฟ้าคือระดับที่คาดหวังตามระดับตำแหน่ง (แก้ไขไม่ได้)"
        " • ช่องสีเขียวคำนวณคะแนนสมรรถนะให้ตรวจทาน"
        " • อ่านวิธีกรอกในแผ่นงาน “{instructions}”"
    ),
    "item_header": "{id} {name}\n(คาดหวัง | ประเมินได้)",
    "expected": "ระดับที่\nคาดหวัง",
    "observed": "ระดับที่\nประเมินได้",
    "input_title": "ระดับสมรรถนะที่ประเมินได้",
    "input_message": "พิมพ์ระดับที่ประเมินได้ของสมรรถนะ {id} {name} เป็นจำนวนเต็ม {lo}–{hi}",
    "error_message": "ระดับสมรรถนะต้องเป็นจำนวนเต็ม {lo}–{hi}",
    "unknown_level": "-",
    # The instructions sheet: what to fill, and how the competency score is computed.
    "fill": (
        "แผ่นงาน “{sheet}”: กรอกระดับที่ประเมินได้ของสมรรถนะ {items} รายการ"
        " ของแต่ละคน (จำนวนเต็ม {lo}–{hi}) ระดับที่คาดหวังมาจากเกณฑ์ตามระดับตำแหน่งในทะเบียนรายชื่อ"
        " คะแนนสมรรถนะ (0–100) คำนวณให้ในช่องสีเขียว และยกไปแผ่นงาน “{summary}” ให้เอง"
    ),
    "fill_summary": (
        "แผ่นงาน “{sheet}”: ตรวจคะแนนในช่องสีเขียว"
        " พิมพ์ให้ผู้ประเมินและผู้รับการประเมินลงนาม แล้วส่งไฟล์ Excel นี้กลับจังหวัด"
    ),
}
# The headers of the competency sheet's fixed columns.
COMPETENCY_COLUMN_HEADERS = {
    "position_level": "ระดับ\nตำแหน่ง",
    "score": "คะแนน\nสมรรถนะ",
}
# How each method computes the competency score, for the instructions sheet.
COMPETENCY_METHODS = {
    "bar_scale": (
        "คะแนนสมรรถนะ = Σ คะแนนแต่ละสมรรถนะ ÷ (จำนวนสมรรถนะ × 3) × 100 โดยได้ 3 คะแนนเมื่อระดับที่ประเมินได้"
        " ถึงระดับที่คาดหวัง 2 คะแนนเมื่อต่ำกว่า 1 ระดับ 1 คะแนนเมื่อต่ำกว่า 2 ระดับ และ 0 เมื่อต่ำกว่า 3 ระดับขึ้นไป"
    ),
    "rating_weighted": "คะแนนสมรรถนะ = Σ (ระดับที่ประเมินได้ × น้ำหนัก) ÷ {hi}",
    "rating_equal": "คะแนนสมรรถนะ = Σ ระดับที่ประเมินได้ ÷ (จำนวนสมรรถนะ × {hi}) × 100",
    "ratio_expected": "คะแนนสมรรถนะ = Σ ระดับที่ประเมินได้ (ไม่เกินระดับที่คาดหวัง) ÷ Σ ระดับที่คาดหวัง × 100",
}
# assess.py: an observed competency level that is blank or refused.
COMPETENCY_LEVEL_LABEL = "ระดับที่ประเมินได้ของสมรรถนะ {id} {name}"
COMPETENCY_LEVEL_VALID = "ระดับสมรรถนะเป็นจำนวนเต็ม {lo}–{hi}"

# The outputs of a rubric that lists competencies: the form's competency sheet (เอกสารแนบ ๒),
# what keeps an officer from a form, and the summary's rubric sheet.
COMPETENCY_OUTPUT = {
    "expected": "ระดับที่คาดหวัง",
    "observed": "ระดับที่ประเมินได้",
    "points": "คะแนน",
    "weight": "น้ำหนัก (%)",
    "share": "คะแนน × น้ำหนัก ÷ คะแนนเต็ม",
    "total": "รวม (คะแนนสมรรถนะ)",
    "position_level": "ระดับตำแหน่ง  {level}",
    "position_level_unknown": "ระดับตำแหน่ง  ไม่ทราบ",
    "capped": "สูงกว่าที่คาดหวัง นับเท่าระดับที่คาดหวัง",
    "cell": "เซลล์ {cell}",
    "missing_item": "สมรรถนะ {id} {name}: ยังไม่ได้ประเมิน",
    "missing_level": (
        "ระดับตำแหน่ง: ไม่ทราบ จึงไม่ทราบระดับที่คาดหวัง (แก้ที่ตำแหน่งหรือคอลัมน์ระดับตำแหน่งในทะเบียนรายชื่อ)"
    ),
    "method": "วิธีคิดคะแนนสมรรถนะ",
    "levels": "ระดับที่ประเมินได้",
    "items_title": "สมรรถนะและระดับที่คาดหวังตามระดับตำแหน่ง",
    "item_id": "รหัส",
    "item_name": "สมรรถนะ",
    "item_weight": "น้ำหนัก (%)",
    "item_position_level": "ระดับตำแหน่ง",
    "item_expected": "ระดับที่คาดหวัง",
    "no_expected": "-",
}
# The competency methods by name (the summary's rubric sheet and the form).
COMPETENCY_METHOD_LABELS = {
    "single": "คะแนนสมรรถนะคนละหนึ่งค่า (กรอกในแบบฟอร์ม)",
    "bar_scale": "Bar scale: ๓ คะแนนเมื่อถึงระดับที่คาดหวัง ๒ ต่ำกว่า ๑ ระดับ ๑ ต่ำกว่า ๒ ระดับ ๐ ต่ำกว่านั้น",
    "rating_weighted": "Rating scale ถ่วงน้ำหนักรายสมรรถนะ",
    "rating_equal": "Rating scale น้ำหนักเท่ากันทุกสมรรถนะ",
    "ratio_expected": "Σ ระดับที่ประเมินได้ ÷ Σ ระดับที่คาดหวัง (ระดับที่สูงกว่าที่คาดหวังไม่ชดเชยสมรรถนะอื่น)",
}
# The form's line under the competency table: how the shares add up to the score.
COMPETENCY_FORM_FORMULA = {
    "bar_scale": "คะแนนสมรรถนะ = Σ (คะแนน × น้ำหนัก ÷ ๓) = {score}",
    "rating_weighted": "คะแนน = ระดับที่ประเมินได้ • คะแนนสมรรถนะ = Σ (คะแนน × น้ำหนัก ÷ {top}) = {score}",
    "rating_equal": "คะแนน = ระดับที่ประเมินได้ • คะแนนสมรรถนะ = Σ (คะแนน × น้ำหนัก ÷ {top}) = {score}",
    "ratio_expected": (
        "คะแนน = ระดับที่ประเมินได้ ไม่เกินระดับที่คาดหวัง • น้ำหนัก = ระดับที่คาดหวัง ÷ Σ ระดับที่คาดหวัง × ๑๐๐"
        " • คะแนนสมรรถนะ = Σ (คะแนน × น้ำหนัก ÷ ระดับที่คาดหวัง) = {score}"
    ),
}
# cli.py templates: officers whose expected competency levels cannot be told (stderr, after the
# workbooks are written); one line per officer follows the heading.
TEMPLATES_LEVEL_UNKNOWN = (
    "คำเตือน: ไม่ทราบระดับตำแหน่งของผู้รับการประเมิน {n} คน แบบฟอร์มจึงแสดงระดับสมรรถนะที่คาดหวังเป็น"
    " “-” และจะคิดคะแนนสมรรถนะของคนเหล่านี้ไม่ได้ กรุณาแก้ตำแหน่งหรือคอลัมน์ระดับตำแหน่ง (ระดับตำแหน่ง)"
    " ในทะเบียนรายชื่อ แล้วสร้างแบบฟอร์มใหม่ ระดับที่รู้จัก: {valid}"
)
TEMPLATES_LEVEL_UNKNOWN_LINE = "  {code} {person_id} {name} (ตำแหน่ง “{position}”)"
# assess.py: an officer whose position level cannot be told, where the competency method needs it.
MESSAGES["position_level_unknown"] = (
    "ไม่ทราบระดับตำแหน่งของ {name} (ตำแหน่ง “{found}”) จึงไม่ทราบระดับสมรรถนะที่คาดหวัง"
    " และยังคิดคะแนนสมรรถนะไม่ได้ ระดับที่รู้จัก: {valid} กรุณาแก้ตำแหน่งหรือคอลัมน์ระดับตำแหน่ง"
    " (ระดับตำแหน่ง) ในทะเบียนรายชื่อ"
)
