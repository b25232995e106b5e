"""Importing the host directory from real CSV files, as HR exports them (UTF-8, BOM, GB18030)."""

import os
import zipfile

import pytest

from kiosk.core.hosts import Host, host_id_for
from kiosk.errors import HostFileError, KioskError
from kiosk.hostcsv import read_hosts_csv

ROWS = "name,department,email,phone\n张三,研发部,zhangsan@example.com,13800000000\nJohn Smith,R&D,,\n"


def write(tmp_path, text, encoding="utf-8", name="hosts.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def summary(hosts):
    return [(h.name, h.department, h.email, h.phone) for h in hosts]


EXPECTED = [("张三", "研发部", "zhangsan@example.com", "13800000000"), ("John Smith", "R&D", "", "")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_excel_writes(tmp_path, encoding):
    assert summary(read_hosts_csv(write(tmp_path, ROWS, encoding))) == EXPECTED


def test_utf8_is_not_mistaken_for_gb18030(tmp_path):
    text = "name\n张三\n王芳\n"
    text.encode("utf-8").decode("gb18030")  # the trap: these UTF-8 bytes are valid GB18030 too
    assert summary(read_hosts_csv(write(tmp_path, text))) == [("张三", "", "", ""), ("王芳", "", "", "")]


def test_gb18030_is_not_mistaken_for_utf8(tmp_path):
    # These GBK bytes are not valid UTF-8; decoded as Latin-1 or with replacement they would be junk.
    path = write(tmp_path, "姓名,部门\n欧阳娜娜,市场部\n", "gb18030")
    assert summary(read_hosts_csv(path)) == [("欧阳娜娜", "市场部", "", "")]


def test_host_ids_come_from_the_email_else_name_and_department(tmp_path):
    hosts = read_hosts_csv(write(tmp_path, ROWS))
    assert hosts[0] == Host(host_id_for("张三", "研发部", "zhangsan@example.com"), *EXPECTED[0])
    assert hosts[1].host_id == host_id_for("John Smith", "R&D", "")


def test_chinese_headers(tmp_path):
    path = write(tmp_path, "姓名,部门,邮箱,电话\n张三,研发部,zhangsan@example.com,13800000000\nJohn Smith,R&D,,\n")
    assert summary(read_hosts_csv(path)) == EXPECTED


def test_headers_are_trimmed_and_case_insensitive_in_any_order(tmp_path):
    path = write(tmp_path, " Phone ,EMAIL, Name,Department\n13800000000,zhangsan@example.com,张三,研发部\n")
    assert summary(read_hosts_csv(path)) == EXPECTED[:1]


def test_extra_columns_are_ignored_and_others_optional(tmp_path):
    path = write(tmp_path, "工号,name,职位,department\n001,张三,工程师,研发部\n002,李四\n")
    assert summary(read_hosts_csv(path)) == [("张三", "研发部", "", ""), ("李四", "", "", "")]


def test_cells_are_trimmed_and_blank_rows_skipped(tmp_path):
    path = write(tmp_path, "\nname,department\n\n  张三  , 研发部 \n,\n , \n\"李四\",\"市场部, 二组\"\n")
    assert summary(read_hosts_csv(path)) == [("张三", "研发部", "", ""), ("李四", "市场部, 二组", "", "")]


def test_windows_line_endings(tmp_path):
    path = write(tmp_path, ROWS.replace("\n", "\r\n"), "utf-8-sig")
    assert summary(read_hosts_csv(path)) == EXPECTED


def test_a_repeated_host_keeps_the_last_row(tmp_path):
    path = write(tmp_path, "name,department,email,phone\n张三,研发部,z@x.cn,1\n李四,,,\n张三,研发部,z@x.cn,2\n")
    assert summary(read_hosts_csv(path)) == [("李四", "", "", ""), ("张三", "研发部", "z@x.cn", "2")]


def test_namesakes_in_one_department_are_told_apart_by_phone(tmp_path):
    path = write(tmp_path, "name,department,phone\n张伟,研发部,13800000001\n张伟,研发部,13800000002\n")
    assert len(read_hosts_csv(path)) == 2


def test_header_only_is_refused_so_a_directory_is_never_wiped_by_mistake(tmp_path):
    assert "no hosts below the header row" in refusal(write(tmp_path, "name,department,email,phone\n"))


def test_accepts_str_paths(tmp_path):
    assert summary(read_hosts_csv(str(write(tmp_path, ROWS)))) == EXPECTED


# -- refused files ----------------------------------------------------------------------------

def refusal(path):
    with pytest.raises(HostFileError) as caught:
        read_hosts_csv(path)
    message = str(caught.value)
    assert str(path) in message
    assert "\n" not in message
    return message


def test_bad_rows_are_listed_by_line(tmp_path):
    text = ("name,department\n"
            "张三,研发部\n"            # line 2: fine
            ",市场部\n"               # line 3: no name
            "\n"                     # line 4: blank, skipped
            "李\x07四,市场部\n"        # line 5: control character
            f"{'长' * 65},研发部\n"    # line 6: too long
            f"{'长' * 64},研发部\n")   # line 7: fine, exactly the limit
    message = refusal(write(tmp_path, text))
    assert "3 bad row(s)" in message
    assert "line 3: name is required" in message
    assert "line 5: name contains a character that is not allowed (U+0007 control character)" in message
    assert "line 6: name is too long (65 characters, at most 64)" in message
    assert "line 2" not in message and "line 7" not in message


def test_a_quoted_newline_in_a_name_is_refused_at_the_row_where_it_starts(tmp_path):
    message = refusal(write(tmp_path, 'name,department\n张三,研发部\n"李\n四",市场部\n'))
    assert "line 3: name contains a character that is not allowed (U+000A control character)" in message


def test_many_bad_rows_list_the_first_five(tmp_path):
    text = "name,department\n" + "".join(f",部{i}\n" for i in range(12))
    message = refusal(write(tmp_path, text))
    assert "12 bad row(s)" in message
    assert "line 6: name is required" in message and "line 7" not in message
    assert "and 7 more" in message


def test_missing_name_column(tmp_path):
    message = refusal(write(tmp_path, "department,email\n研发部,a@example.com\n"))
    assert "no name column" in message
    assert "姓名" in message


def test_a_field_named_twice_is_refused(tmp_path):
    assert "two columns give the name" in refusal(write(tmp_path, "name,姓名\n张三,张三\n"))


@pytest.mark.parametrize("text", ["", "\n\n  \n", "\ufeff"])
def test_empty_file(tmp_path, text):
    assert "empty" in refusal(write(tmp_path, text))


def test_binary_garbage(tmp_path):
    path = tmp_path / "hosts.csv"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    assert "binary" in refusal(path)


def test_an_excel_workbook_gets_advice(tmp_path):
    path = tmp_path / "hosts.xlsx"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/workbook.xml", "<workbook/>")
    assert "Excel workbook" in refusal(path)


def test_bytes_that_are_neither_utf8_nor_gb18030(tmp_path):
    path = tmp_path / "hosts.csv"
    path.write_bytes(b"name\n\x80\xff\xfe\x81\n")
    assert "UTF-8 or GB18030" in refusal(path)


def test_utf16_gets_advice(tmp_path):
    path = tmp_path / "hosts.csv"
    path.write_bytes(ROWS.encode("utf-16"))
    assert "UTF-16" in refusal(path)


def test_missing_file(tmp_path):
    assert "no such file" in refusal(tmp_path / "absent.csv")


def test_a_directory(tmp_path):
    assert "directory" in refusal(tmp_path)


def test_every_refusal_is_a_kiosk_error(tmp_path):
    with pytest.raises(KioskError):
        read_hosts_csv(tmp_path / "absent.csv")


def test_other_columns_get_the_same_checks_as_visitor_input(tmp_path):
    message = refusal(write(tmp_path, "name,department,email\n李四,研发\x1b[2J部,lisi@example.com\n"))
    assert "line 2: department contains a character that is not allowed" in message


def test_latin1_files_are_refused_rather_than_read_as_chinese(tmp_path):
    path = tmp_path / "hosts.csv"
    path.write_bytes("name,department\nJürgen Müller,Einkauf\n".encode("latin-1"))
    assert "Latin-1" in refusal(path)


# -- English names, aliases, language and channels ----------------------------------------------

SMTP = "smtp://kiosk:hunter2@mail.example.com:587?from=kiosk@example.com"
DINGTALK = "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=TOKEN42#secret=SECabc"


def test_chinese_headers_for_every_field_in_gb18030(tmp_path):
    text = ("姓名,部门,邮箱,电话,英文名,别名,语言,通知渠道\n"
            f"李四,研发部,lisi@example.com,13800000001,Li Si,小李；老李、Lisa|四哥;小李,简体,{SMTP} {DINGTALK}\n"
            "王芳,财务部,,,,,,\n")
    lisi, wangfang = read_hosts_csv(write(tmp_path, text, "gb18030"))
    assert lisi == Host(host_id_for("李四", "研发部", "lisi@example.com"), "李四", "研发部", "lisi@example.com",
                        "13800000001", "Li Si", ("小李", "老李", "Lisa", "四哥"), "zh_CN", (SMTP, DINGTALK))
    assert (wangfang.english_name, wangfang.aliases, wangfang.language, wangfang.channels) == ("", (), "", ())


@pytest.mark.parametrize("written, code", [("zh_CN", "zh_CN"), ("zh-cn", "zh_CN"), ("简体", "zh_CN"),
                                           ("ZH_TW", "zh_TW"), ("zh-TW", "zh_TW"), ("繁體", "zh_TW"),
                                           ("繁体", "zh_TW"), ("en", "en"), ("English", "en"), (" ", "")])
def test_languages_as_operators_write_them(tmp_path, written, code):
    [host] = read_hosts_csv(write(tmp_path, f"name,language\n李四,{written}\n"))
    assert host.language == code


def test_english_headers_and_channels_split_by_semicolons(tmp_path):
    path = write(tmp_path, f"name,english_name,aliases,notify\nJohn Smith,John,JS,{SMTP};{DINGTALK}\n")
    [host] = read_hosts_csv(path)
    assert (host.english_name, host.aliases, host.channels) == ("John", ("JS",), (SMTP, DINGTALK))


def test_an_unknown_language_is_refused_naming_the_line(tmp_path):
    message = refusal(write(tmp_path, "name,language\n李四,zh_CN\n王芳,法语\n"))
    assert "1 bad row(s): line 3: language '法语' is not one of zh_CN, zh_TW, en" in message


@pytest.mark.parametrize("bad", [
    "ftp://kiosk:hunter2@files.example.com/TOKEN42",             # a kind we do not know
    "dingtalk+https://oapi.dingtalk.com/robot/send?access_token=TOKEN42#SECabc",  # secret without secret=
    "smtp://kiosk:hunter2@mail.example.com:587?token=TOKEN42",   # a parameter SMTP does not take
    "smtp://kiosk:hunter2@mail.example.com:99999",               # no such port
])
def test_an_unusable_channel_is_refused_naming_the_line_never_its_secret(tmp_path, bad):
    message = refusal(write(tmp_path, f"name,channels\n李四,{SMTP}\n王芳,{DINGTALK} {bad}\n"))
    assert "line 3: channels: channel 2 cannot be used" in message
    for secret in ("hunter2", "TOKEN42", "SECabc"):
        assert secret not in message


def test_lists_are_limited(tmp_path):
    aliases = ";".join(f"别名{i}" for i in range(11))
    channels = " ".join([SMTP.replace("kiosk:", f"k{i}:") for i in range(6)])
    text = f"name,aliases,channels\n甲,{aliases},\n乙,{'长' * 41},\n丙,,{channels}\n丁,小丁😀,\n"
    message = refusal(write(tmp_path, text))
    assert "line 2: aliases: 11 given, at most 10" in message
    assert "line 3: aliases is too long (41 characters, at most 40)" in message
    assert "line 4: channels: 6 given, at most 5" in message
    assert "line 5: aliases contains a character that is not allowed" in message
    assert "hunter2" not in message
