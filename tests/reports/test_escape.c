/* The sanitiser every report goes through. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "escape.h"
#include "fixture.h"

TestSuite(escape, .init = fixture_begin);

/* Escape len bytes and compare with the expected text. */
static void expect(const char *in, size_t len, unsigned flags, const char *want)
{
    char *got = spf__escape(in, len, flags);

    cr_assert_not_null(got);
    cr_expect_str_eq(got, want, "flags %#x", flags);
    free(got);
}

#define EXPECT(lit, flags, want) expect(lit, sizeof(lit) - 1, flags, want)

Test(escape, valid_utf8_passes_unchanged)
{
    EXPECT("plain <&>\"' ]]> text", SPF__ESC_XML, "plain <&>\"' ]]> text");
    EXPECT("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e", SPF__ESC_ONE_LINE,
           "caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9d\x84\x9e");
    /* The largest code points on each side of the surrogates. */
    EXPECT("\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf", SPF__ESC_XML,
           "\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf");
    EXPECT("", SPF__ESC_XML, "");
    fixture_end();
}

Test(escape, bytes_xml_cannot_carry_become_visible_hex)
{
    EXPECT("a\0b", SPF__ESC_XML, "a\\x00b");
    EXPECT("\x01\x08\x0b\x0c\x1b\x1f", SPF__ESC_XML,
           "\\x01\\x08\\x0b\\x0c\\x1b\\x1f");
    /* U+FFFE and U+FFFF are valid UTF-8 but not XML characters. */
    EXPECT("\xef\xbf\xbe\xef\xbf\xbf", SPF__ESC_XML,
           "\\xef\\xbf\\xbe\\xef\\xbf\\xbf");
    /* TAB, LF and CR are XML characters. */
    EXPECT("\t\n\r", SPF__ESC_XML, "\t\n\r");
    /* DEL and the C1 controls are XML characters too. */
    EXPECT("\x7f\xc2\x80\xc2\x9f", SPF__ESC_XML, "\x7f\xc2\x80\xc2\x9f");
    fixture_end();
}

Test(escape, invalid_utf8_is_escaped_byte_by_byte)
{
    EXPECT("\xff\xfe", SPF__ESC_XML, "\\xff\\xfe");
    EXPECT("\x80x", SPF__ESC_XML, "\\x80x");                 /* stray */
    EXPECT("\xe2\x82", SPF__ESC_XML, "\\xe2\\x82");          /* truncated */
    EXPECT("\xe2\x82x", SPF__ESC_XML, "\\xe2\\x82x");        /* cut short */
    EXPECT("\xed\xa0\x80", SPF__ESC_XML, "\\xed\\xa0\\x80"); /* surrogate */
    EXPECT("\xed\xbf\xbf", SPF__ESC_XML, "\\xed\\xbf\\xbf");
    EXPECT("\xc0\xaf", SPF__ESC_XML, "\\xc0\\xaf"); /* overlong '/' */
    EXPECT("\xc1\xbf", SPF__ESC_XML, "\\xc1\\xbf");
    EXPECT("\xe0\x80\xbc", SPF__ESC_XML, "\\xe0\\x80\\xbc"); /* overlong '<' */
    EXPECT("\xf0\x8f\xbf\xbf", SPF__ESC_XML, "\\xf0\\x8f\\xbf\\xbf");
    EXPECT("\xf4\x90\x80\x80", SPF__ESC_XML, "\\xf4\\x90\\x80\\x80");
    EXPECT("\xf8\x88\x80\x80\x80", SPF__ESC_XML,
           "\\xf8\\x88\\x80\\x80\\x80"); /* five bytes */
    fixture_end();
}

Test(escape, resynchronises_after_a_bad_byte)
{
    /* The valid character after a bad lead byte is kept whole. */
    EXPECT("\xe2\xc3\xa9", SPF__ESC_XML, "\\xe2\xc3\xa9");
    EXPECT("\xff<", SPF__ESC_XML, "\\xff<");
    fixture_end();
}

Test(escape, line_flag_keeps_text_on_one_line)
{
    EXPECT("a\tb\nc\rd", SPF__ESC_LINE, "a\\x09b\\x0ac\\x0dd");
    EXPECT("\x7f", SPF__ESC_LINE, "\x7f");
    fixture_end();
}

Test(escape, term_flag_escapes_del_and_c1_controls)
{
    EXPECT("\x7f\xc2\x9b[2J\xc2\xa0", SPF__ESC_TERM,
           "\\x7f\\xc2\\x9b[2J\xc2\xa0");
    fixture_end();
}

Test(escape, hash_flag_escapes_tap_directives)
{
    EXPECT("a # SKIP", SPF__ESC_HASH, "a \\x23 SKIP");
    EXPECT("a # SKIP", SPF__ESC_ONE_LINE, "a # SKIP");
    fixture_end();
}

Test(escape, backslashes_pass_unchanged)
{
    /* Mismatch texts arrive escaped already: no doubling. */
    EXPECT("\\x00 \\n", SPF__ESC_ONE_LINE, "\\x00 \\n");
    fixture_end();
}

Test(escape, null_is_the_empty_string)
{
    char *s = spf__escape(NULL, 5, SPF__ESC_XML);

    cr_assert_str_eq(s, "");
    free(s);
    s = spf__escape_str(NULL, SPF__ESC_XML);
    cr_assert_str_eq(s, "");
    free(s);
    fixture_end();
}

Test(escape, stream_form_matches_string_form)
{
    unsigned flags[] = {SPF__ESC_XML, SPF__ESC_ONE_LINE,
                        SPF__ESC_ONE_LINE | SPF__ESC_HASH};

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        char *buf = NULL, *want;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);

        cr_assert_not_null(m);
        spf__escape_puts(m, fixture_hostile_name, flags[i]);
        cr_assert_eq(fclose(m), 0);
        want = spf__escape_str(fixture_hostile_name, flags[i]);
        cr_expect_str_eq(buf, want);
        free(want);
        free(buf);
    }
    fixture_end();
}

Test(escape, decode_reports_code_point_and_length)
{
    static const struct {
        const char *in;
        size_t len;
        uint32_t cp;
    } cases[] = {
        {"\x7f", 1, 0x7f},
        {"\xc2\x80", 2, 0x80},
        {"\xdf\xbf", 2, 0x7ff},
        {"\xe0\xa0\x80", 3, 0x800},
        {"\xef\xbf\xbf", 3, 0xffff},
        {"\xf0\x90\x80\x80", 4, 0x10000},
        {"\xf4\x8f\xbf\xbf", 4, 0x10ffff},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t cp = 0;
        size_t n = spf__utf8_decode((const unsigned char *)cases[i].in,
                                    strlen(cases[i].in), &cp);

        cr_expect_eq(n, cases[i].len, "case %zu", i);
        cr_expect_eq(cp, cases[i].cp, "case %zu", i);
    }
    fixture_end();
}
