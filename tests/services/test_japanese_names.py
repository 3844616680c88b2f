"""Japanese names and sentences in the draft checker: the address block ("人事部 山田様"),
family-name-first order and honorifics, names across scripts ("ホッパー様" is Grace
Hopper), the set phrases that belong to the greeting and the sign-off, and sentences
that end in 。 with no space after them."""

from __future__ import annotations

import pytest

from app.domain.messages import FindingCode, MessageKind
from app.services.drafting.checker import Expectations, MessageDraft, check
from app.services.drafting.context import panel_member, person
from app.services.drafting.languages import lexicon
from app.services.drafting.layout import read_layout
from app.services.drafting.names import family_name, names_match
from app.services.drafting.sentences import SEGMENTER_CHUNK_MARKS, segmenter_chunks, sentences

JA = lexicon("ja")
EN = lexicon("en")

MESSAGE = (
    "本日は面接のお時間をいただき、誠にありがとうございました。\n"
    "チームのお話を伺い、経験を活かせるとの思いを強くいたしました。\n"
    "ご連絡をお待ちしております。"
)


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("山田 太郎", "山田"),  # family name first
        ("山田\u3000太郎", "山田"),  # with an ideographic space
        ("やまだ たろう", "やまだ"),
        ("Grace Hopper", "Hopper"),  # family name last
        ("グレース・ホッパー", "ホッパー"),  # a Western name in katakana
        ("YAMADA Taro", "YAMADA"),  # romanised, family name in capitals
        ("Taro Yamada", "Yamada"),
        ("Ludwig van Beethoven", "van Beethoven"),
        ("Ada", "Ada"),
        ("山田太郎", None),  # cannot be split without a space
        (None, None),
        ("", None),
    ],
)
def test_the_family_name_is_first_in_japanese_and_last_in_a_western_name(
    name: str | None, family: str | None
) -> None:
    assert family_name(name) == family


def test_templates_see_the_family_name_of_the_recipient_and_the_panel() -> None:
    assert person("山田 太郎")["family_name"] == "山田"
    assert person(None)["family_name"] is None
    member = panel_member("Grace Hopper", None, rep=False, reachable=True)
    assert member["family_name"] == "Hopper"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("山田", "山田 太郎"),
        ("山田 太郎", "山田 太郎"),
        ("山田太郎", "山田 太郎"),  # written without the space
        ("山田", "山田太郎"),  # the family name of a name stored without a space
        ("人事部山田", "山田 太郎"),  # a department written before the name, no space
        ("やまだ", "ヤマダ タロウ"),  # hiragana and katakana are one name
        ("Hopper", "Grace Hopper"),
        ("ホッパー", "Grace Hopper"),  # katakana sounded out against Latin letters
        ("グレース・ホッパー", "Grace Hopper"),
        ("Hopper", "グレース・ホッパー"),
        ("ラブレス", "Ada Lovelace"),
        ("チューリング", "Alan Turing"),
        ("スミス", "John Smith"),
        ("マイケル", "Michael Jones"),
        # Kanji cannot be compared with a name in Latin letters or kana: no contradiction.
        ("Yamada", "山田 太郎"),
        ("山田", "Taro Yamada"),
        ("ヤマダ", "山田 太郎"),
    ],
)
def test_a_name_matches_in_any_order_and_script(given: str, expected: str) -> None:
    assert names_match(given, expected, JA)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("佐藤", "山田 太郎"),
        ("佐藤太郎", "山田 太郎"),
        ("チューリング", "Grace Hopper"),
        ("ホッパー", "Alan Turing"),
        ("カトウ", "ガトウ ハナコ"),  # voicing marks are kept: カ is not ガ
        ("Alan", "Grace Hopper"),
        ("Turing", "グレース・ホッパー"),
    ],
)
def test_a_different_name_does_not_match(given: str, expected: str) -> None:
    assert not names_match(given, expected, JA)


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("株式会社グローベックス\n人事部 山田様\n\n", "山田"),
        ("株式会社グローベックス\n技術本部\n山田 太郎 様\n\n", "山田 太郎"),
        ("山田\u3000太郎\u3000様\n\n", "山田\u3000太郎"),
        ("採用担当の山田様\n\n", "山田"),
        ("人事部長 山田様\n\n", "山田"),
        ("山田部長\n\n", "山田"),
        ("山田部長様\n\n", "山田"),
        ("山田さん\n\n", "山田"),
        ("Hopper様\n\n", "Hopper"),
        ("Ms. Hopper様\n\n", "Ms. Hopper"),
        ("面接官の皆様\n\n", "面接官の皆様"),
        ("株式会社グローベックス 人事部 御中\n\n", "株式会社グローベックス 人事部 御中"),
        ("山田様、佐藤様\n\n", "山田、佐藤"),
        ("山田様 佐藤様\n\n", "山田、佐藤"),
        ("山田様\n佐藤様\n\n", "山田、佐藤"),
        ("人事部 採用ご担当者様\n\n", "採用ご担当者"),
    ],
)
def test_the_address_block_names_whom_the_draft_is_to(body: str, names: str) -> None:
    layout = read_layout(body + "お世話になっております。Adaです。\n\n" + MESSAGE, JA)
    assert layout.greeting is not None
    assert layout.greeting.names == names


@pytest.mark.parametrize(
    "body",
    [
        MESSAGE,
        "山田様にお会いでき、光栄でした。\n" + MESSAGE,  # 様 inside a sentence
        "様々なお話を伺い、勉強になりました。\n" + MESSAGE,
        "本日はありがとうございました\n" + MESSAGE,  # a line of the message, unfinished
    ],
)
def test_a_message_without_an_address_has_no_greeting(body: str) -> None:
    assert read_layout(body, JA).greeting is None


def test_an_address_on_the_message_line_addresses_only_its_first_person() -> None:
    body = "山田様、先日は佐藤様、鈴木様にお世話になりました。\n" + MESSAGE
    layout = read_layout(body, JA)
    assert layout.greeting is not None
    assert layout.greeting.names == "山田"
    assert body[layout.message.start :].startswith("先日は")


def _count(body: str) -> int:
    layout = read_layout(body, JA)
    return len(sentences(body, layout.message, JA))


def test_the_set_greeting_and_closing_are_not_sentences() -> None:
    body = (
        "株式会社グローベックス\n人事部 山田様\n\n"
        "お世話になっております。Ada Lovelaceです。\n\n"
        f"{MESSAGE}\n\n"
        "引き続きどうぞよろしくお願いいたします。\n\nAda Lovelace"
    )
    assert _count(body) == 3


@pytest.mark.parametrize(
    ("opening", "counted"),
    [
        ("いつも大変お世話になっております。\n", 3),
        ("お世話になっております。エイダ・ラブレスと申します。\n", 3),
        ("突然のご連絡失礼いたします。\n", 3),
        # After the greeting, a sentence ending in です after hiragana is a sentence.
        ("お世話になっております。面接はとても楽しかったです。\n", 4),
        # A name line with a particle is a sentence of its own.
        ("お世話になっております。先日面接を受けたAdaです。\n", 4),
    ],
)
def test_the_opening_formula_and_the_name_line_belong_to_the_greeting(
    opening: str, counted: int
) -> None:
    assert _count("山田様\n\n" + opening + MESSAGE) == counted


def test_a_set_phrase_in_the_middle_of_the_message_is_a_sentence() -> None:
    body = "山田様\n\n本日はありがとうございました。お世話になっております。お待ちしております。"
    assert _count(body) == 3


def test_a_closing_with_a_lead_in_is_the_sign_off() -> None:
    body = (
        f"山田様\n\n{MESSAGE}\n\nお忙しいところ恐縮ですが、何卒よろしくお願い申し上げます。\n\nAda"
    )
    assert _count(body) == 3


def test_a_last_paragraph_ending_in_a_japanese_stop_is_a_sentence_not_a_signature() -> None:
    body = "山田様\n\n本日はありがとうございました。\n\nご連絡をお待ちしております。"
    assert _count(body) == 2


def test_a_long_japanese_line_is_cut_after_a_stop_and_counted_whole() -> None:
    text = "ありがとうございました。" * (3 * SEGMENTER_CHUNK_MARKS)
    chunks = list(segmenter_chunks(text, stops=JA.sentence_stops))
    assert len(chunks) > 1
    assert all(text[chunk.end - 1] == "。" and not chunk.continues for chunk in chunks)
    assert _count(text) == 3 * SEGMENTER_CHUNK_MARKS


def _findings(body: str, expected: str | None = None, kind: str = "thank_you") -> set[str]:
    report = check(
        MessageDraft(kind=MessageKind(kind), body=body, subject="面接のお礼"),
        Expectations(recipient_name=expected),
        "ja",
    )
    return {finding.code.value for finding in report.findings}


def test_the_recipient_finding_names_the_expected_person_in_japanese() -> None:
    report = check(
        MessageDraft(kind=MessageKind.THANK_YOU, body=f"佐藤様\n\n{MESSAGE}", subject="お礼"),
        Expectations(recipient_name="山田 太郎"),
        "ja",
    )
    (finding,) = report.findings
    assert finding.code is FindingCode.RECIPIENT_MISMATCH
    assert finding.message == "宛名は「佐藤」ですが、このアクションの相手は山田 太郎様です。"


@pytest.mark.parametrize(
    ("body", "found"),
    [
        (f"山田様\n\n{MESSAGE}", set()),
        (f"山田様\n\n{MESSAGE}至急ご返信ください。", {"pushy_phrase"}),
        ("山田様\n\nご連絡をお待ちしております。取り急ぎお礼申し上げます。よろしくです。", set()),
        (
            "山田様\n\n面接の機会をいただき光栄でした。勉強になりました。お待ちしております。",
            {"missing_thanks"},
        ),
    ],
)
def test_thanks_and_pushy_phrases_are_read_without_word_boundaries(
    body: str, found: set[str]
) -> None:
    assert _findings(body, "山田 太郎") == found


def test_english_keeps_its_reading() -> None:
    assert EN.address is None and EN.opening_formula is None and EN.sentence_stops == ""
    assert EN.roles == {"action": "action's person", "recipient": "recipient"}
    assert not names_match("Alan", "Grace Hopper", EN)
    assert names_match("G. Hopper", "Grace Hopper", EN)
