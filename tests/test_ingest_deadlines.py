"""Deadline phrases, each form, relative to the document's own dates."""

from datetime import date

import pytest

from tracker.ingest.deadline_phrases import cn_number, find_deadlines, read_deadline

DOC = dict(written_on=date(2021, 3, 1), published_on=date(2021, 3, 5),
           period_start=date(2020, 11, 19), period_end=date(2022, 12, 31))


@pytest.mark.parametrize("text, due, phrase", [
    ("到2022年,建成10个平台", date(2022, 12, 31), "到2022年"),
    ("力争到2022年,每个集聚区建成1个以上公共服务平台", date(2022, 12, 31), "力争到2022年"),
    ("2022年底前完成", date(2022, 12, 31), "2022年底前"),
    ("2022年年底前完成", date(2022, 12, 31), "2022年年底前"),
    ("2022年前完成", date(2022, 12, 31), "2022年前"),
    ("2019年6月底前出台办法", date(2019, 6, 30), "2019年6月底前"),
    ("2020年2月底前", date(2020, 2, 29), "2020年2月底前"),
    ("2019年6月15日前完成", date(2019, 6, 15), "2019年6月15日前"),
    ("2022年上半年", date(2022, 6, 30), "2022年上半年"),
    ("2022年第三季度末", date(2022, 9, 30), "2022年第三季度末"),
    ("2022年,集聚区总数达到12个", date(2022, 12, 31), "2022年"),
    ("本意见印发之日起30日内", date(2021, 3, 31), "本意见印发之日起30日内"),
    ("自发布之日起1个月内", date(2021, 4, 5), "自发布之日起1个月内"),
    ("印发之日起10个工作日内", date(2021, 3, 15), "印发之日起10个工作日内"),
    ("“十四五”期间", date(2025, 12, 31), "“十四五”期间"),
    ("十三五末", date(2020, 12, 31), "十三五末"),
    ("未来3年引进1个以上", date(2023, 11, 18), "未来3年"),
    ("三年内全部完成", date(2023, 11, 18), "三年内"),
    ("6月底前", date(2021, 6, 30), "6月底前"),
    ("2月底前", date(2022, 2, 28), "2月底前"),  # February is past when the document is written
    ("年底前", date(2021, 12, 31), "年底前"),
    ("明年底前", date(2022, 12, 31), "明年底前"),
    # several dates: the latest completion date
    ("2021年6月底前出台方案,2022年底前全面完成", date(2022, 12, 31), "2022年底前"),
])
def test_dates(text, due, phrase):
    deadline = read_deadline(text, **DOC)
    assert deadline.kind == "date" and deadline.due_on == due and deadline.phrase == phrase


@pytest.mark.parametrize("text, rule, phrase", [
    ("每年2月底前报市发展改革委", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", "每年2月底前"),
    ("每年6月30日前", "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=30", "每年6月30日前"),
    ("每年制定10项以上服务业行业标准", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", "每年"),
    ("每年年底前", "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31", "每年年底前"),
    ("每两年评估一次", "FREQ=YEARLY;INTERVAL=2;BYMONTH=12;BYMONTHDAY=31", "每两年"),
    ("每半年报送", "FREQ=YEARLY;BYMONTH=6,12;BYMONTHDAY=-1", "每半年"),
    ("每季度报送", "FREQ=YEARLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1", "每季度"),
    ("每季度首月10日前", "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10", "每季度首月10日前"),
    ("每季度结束后10日内", "FREQ=YEARLY;BYMONTH=1,4,7,10;BYMONTHDAY=10", "每季度结束后10日内"),
    ("每月5日前报送", "FREQ=MONTHLY;BYMONTHDAY=5", "每月5日前"),
    ("每月底前", "FREQ=MONTHLY;BYMONTHDAY=-1", "每月底前"),
    ("每周五前", "FREQ=WEEKLY;BYDAY=FR", "每周五前"),
])
def test_rules(text, rule, phrase):
    from dateutil.rrule import rrulestr

    deadline = read_deadline(text, **DOC)
    assert deadline.kind == "rule" and deadline.rule == rule and deadline.phrase == phrase
    rrulestr(rule, dtstart=date(2021, 1, 1))  # a valid RRULE


def test_a_yearly_rule_falls_on_the_last_day_of_february():
    from tracker.deadlines import occurrences

    rule = read_deadline("每年2月底前").rule
    assert occurrences(rule, date(2023, 1, 1), date(2024, 12, 31)) == [date(2023, 2, 28), date(2024, 2, 29)]


@pytest.mark.parametrize("text", ["长期坚持", "持续推进", "常态化开展"])
def test_ongoing(text):
    assert read_deadline(text).kind == "ongoing"


def test_a_date_wins_over_a_rule_and_ongoing():
    assert read_deadline("持续推进,每年开展评估,2022年底前完成").due_on == date(2022, 12, 31)
    assert read_deadline("持续推进,每年开展评估").kind == "rule"


@pytest.mark.parametrize("text", [
    "坚持包容审慎监管原则", "2022年以来", "2024年度市级集聚区", "定期召开工作会议",
    "连续两年领取黄牌的", "2020年11月19日", "", "2019年13月底前", "2019年2月30日前",
])
def test_no_deadline(text):
    assert read_deadline(text, **DOC) is None


def test_a_quota_period_is_not_the_task_deadline():
    text = "争取每个市级及以上服务业集聚区每年引进5个投资过亿元服务业项目,未来3年引进1个以上世界500强企业。"
    assert read_deadline(text, **DOC) is None
    assert [p.quota for p in find_deadlines(text, **DOC)] == [True, True]
    # the quota ends with its sentence
    assert read_deadline(text + "2022年底前建成平台。", **DOC).due_on == date(2022, 12, 31)


def test_a_phrase_that_needs_an_unknown_date_is_found_with_its_reason():
    [found] = find_deadlines("本方案印发之日起30日内")
    assert found.deadline is None and "issue date" in found.problem
    assert read_deadline("未来3年") is None
    assert read_deadline("6月底前") is None


def test_cn_number():
    assert [cn_number(t) for t in ("3", "三", "十", "十四", "二十五", "两", "二〇二二", "一百")] == \
        [3, 3, 10, 14, 25, 2, 2022, 100]
    with pytest.raises(ValueError):
        cn_number("几")
