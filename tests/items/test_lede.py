"""Lede extraction and language tags, as tables."""

from __future__ import annotations

import pytest

from bot.items.lede import cut, extract_lede, html_to_text
from bot.items.normalize import language_of


@pytest.mark.parametrize(
    ("html", "lede"),
    [
        ("<div>27/03/2024 - 16:17</div><img src='x.jpg'><p><strong>Chipmakers rallied on Tuesday after the "
         "government eased rules.</strong></p><p>Second paragraph here with words.</p>",
         "Chipmakers rallied on Tuesday after the government eased rules."),
        ("<p>Short.</p><p>The Dutch government widened export controls on ASML &amp; its DUV machines today.</p>",
         "The Dutch government widened export controls on ASML & its DUV machines today."),
        ("<script>alert(1)</script><p>Quarterly results beat expectations as demand for memory chips rose.</p>",
         "Quarterly results beat expectations as demand for memory chips rose."),
        ("<div class='share-buttons'><p>Share this story on all the networks you like today</p></div>"
         "<p>Regulators in Washington announced a new rule on Friday for exporters.</p>",
         "Regulators in Washington announced a new rule on Friday for exporters."),
        ("Plain text summary with &quot;entities&quot; and   extra   spaces in it.",
         'Plain text summary with "entities" and extra spaces in it.'),
        ("<p>荷兰政府吊销了阿斯麦部分尖端芯片制造机的运输许可证，这将影响少数中国客户。</p>",
         "荷兰政府吊销了阿斯麦部分尖端芯片制造机的运输许可证，这将影响少数中国客户。"),
        ("<p>获取更多RSS：https://feedx.net https://feedx.run and more links here</p>", ""),
        # a short description is its story's lede when nothing longer is there (it was dropped, and its words never
        # matched); a short block beside a longer one is still passed over (above: "Short.")
        ("<p>美光宣布在台中擴建DRAM廠。</p>", "美光宣布在台中擴建DRAM廠。"),
        ("<p>Micron expands its Taichung fab.</p>", "Micron expands its Taichung fab."),
        ("<p>Photo: Reuters</p>", ""),
        ("<div>Updated 27 March 2024</div>", ""),
        ("<p>三星扩产。</p>", ""),
        ("", ""),
    ],
)
def test_extract_lede(html: str, lede: str) -> None:
    assert extract_lede(html) == lede


def test_long_lede_is_cut_at_a_sentence_boundary_near_400() -> None:
    sentence = "Chip exports to China fell sharply in the third quarter as new rules took effect. "
    lede = extract_lede("<p>" + sentence * 10 + "</p>")
    assert 200 <= len(lede) <= 400
    assert lede.endswith("effect.")


def test_cut_without_sentence_end_cuts_at_a_word_with_ellipsis() -> None:
    text = "word " * 200
    out = cut(text.strip(), 400)
    assert out.endswith("…") and len(out) <= 401 and not out[:-1].endswith(" ")


def test_html_titles_become_text() -> None:
    assert html_to_text("<b>ASML</b> &amp; TSMC") == "ASML & TSMC"
    # a lone word in angle brackets that names no element is the title's text (it vanished as an unknown tag)
    assert html_to_text('TSMC guidance; "AI chips" demand <surges>') == 'TSMC guidance; "AI chips" demand <surges>'
    assert html_to_text("a <span class=x>b</span> <em>c</em>") == "a b c"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        # an inline tag's end is no space ("a link ." and "中文 测试 。" before)
        ('Read <a href="x">a link</a>. Next', "Read a link. Next"),
        ("<p>See <b>this</b>, and <i>that</i>!</p>", "See this, and that!"),
        ("<p>中文<b>测试</b>。</p>", "中文测试。"),
        # a line break or a block is one, but nothing inside Chinese text
        ("expand<br>its plant", "expand its plant"),
        ("台积电<br>新闻 <div>A</div><div>B</div>", "台积电新闻 A B"),
    ],
)
def test_tags_are_words_apart_only_where_a_reader_sees_a_gap(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("html", "lede"),
    [
        ("<p>The company said on Monday it would expand<br>its plant in <b>Arizona</b>, to make more chips.</p>",
         "The company said on Monday it would expand its plant in Arizona, to make more chips."),  # "expandits"
        ("<p>The company said on Monday<img src=x>it would expand its plant in Arizona to make chips.</p>",
         "The company said on Monday it would expand its plant in Arizona to make chips."),
        ("<p>台积电周一表示<br>将扩大在亚利桑那州的工厂以生产更多芯片。</p>", "台积电周一表示将扩大在亚利桑那州的工厂以生产更多芯片。"),
    ],
)
def test_a_ledes_line_breaks_and_images_keep_words_apart(html: str, lede: str) -> None:
    assert extract_lede(html) == lede


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("习近平对吕特说：任何力量都阻挡不了中国科技进步的步伐", "zh"),
        ("台積電擴大在美投資 晶片出口管制再升級", "zh"),
        ("The Netherlands tightens export controls on chip machines", "en"),
        ("Le gouvernement français annonce des mesures", "other"),
        ("12345 !!!", "other"),
        # headlines use few function words: one is enough when no other language's outnumber it
        ("Huge demonstrations bring down Nepal’s government The upheaval brings much uncertainty", "en"),
        ("Battlefield 1 Reference : https://www.ea.com/games/battlefield Status : Supported => Denied", "en"),
        ("Criando a sua máquina na nuvem com Digital Ocean Este post é um passo-a-passo", "other"),
        ("Was ist Copywriting? Definition & Tipps für neue Werbetexter", "other"),
        ("Lid Adviescollege ICT-toetsing nog niet gereed zijn in het eindstadium van het project", "other"),
        ("Massimizza i tuoi investimenti con un'automazione autonoma", "other"),
        # no function word of any language: English unless a letter says otherwise
        ("Pavlov VR", "en"),
        ("Über Nacht Rekordumsatz", "other"),
    ],
)
def test_language_of(text: str, lang: str) -> None:
    assert language_of(text) == lang


@pytest.mark.parametrize(
    ("text", "declared", "lang"),
    [
        ("Pavlov VR", "en-US", "en"),
        ("Pavlov VR", "de", "other"),
        ("Fiesta Nacional", "es", "other"),
        ("Pavlov VR", " ", "en"),
        # what the words say wins over the feed: an Italian post in a feed that declares English, and back
        ("Introduzione all'automation con Red Hat Ansible", "en", "other"),
        ("Nvidia says the US will require a licence", "de", "en"),
        ("台積電擴大在美投資", "en", "zh"),
    ],
)
def test_language_of_text_without_function_words_follows_the_feed(text: str, declared: str, lang: str) -> None:
    assert language_of(text, declared) == lang


@pytest.mark.parametrize(("html", "text"), [
    ("Samsung Electronics <005930.KS> and ASML <ASML.AS> shares rise",
     "Samsung Electronics <005930.KS> and ASML <ASML.AS> shares rise"),  # (ASML's ticker had vanished as a tag)
    ("<TSMC> and <ASML> report", "<TSMC> and <ASML> report"),
    ("if x<y, then", "if x<y, then"),
    ("<B>Bold</B> and <b>bold</b><BR>old markup", "Bold and bold old markup"),  # known elements in capitals stay tags
    ("Word<o:p></o:p> paste and <my-card>custom</my-card>", "Word paste and custom"),  # namespaced, custom: tags
])
def test_a_ticker_in_angle_brackets_is_text_not_a_tag(html: str, text: str) -> None:
    assert html_to_text(html) == text
    assert extract_lede(html + " " + "More words to make it a lede of its own. " * 2).startswith(text)
