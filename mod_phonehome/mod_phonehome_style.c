/* Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * The one stylesheet of the status page, the board and the admin page,
 * served from <Location>/style.css (the pages' Content-Security-Policy
 * allows styles from 'self' only: no inline style).
 */

#include "httpd.h"
#include "http_protocol.h"

#include "mod_phonehome_style.h"

static const char ph_css[] =
":root{color-scheme:light dark;--bg:#f6f7f9;--fg:#16181d;--card:#fff;"
"--mute:#5b6170;--line:#d8dbe2;--down:#b3261e;--downbg:#fde7e6;"
"--up:#1e6b35;--upbg:#e3f4e8;--unk:#7a5a00;--unkbg:#fff3cd;"
"--bar-ok:#2e9e50;--bar-part:#d9a400;--bar-out:#c8342b;--bar-none:#c4c8d0}\n"
"@media (prefers-color-scheme:dark){:root{--bg:#111318;--fg:#e7e9ee;"
"--card:#1b1e25;--mute:#a3a9b7;--line:#333845;--down:#ff8a80;"
"--downbg:#3b1816;--up:#7ddc95;--upbg:#12301c;--unk:#ffd666;"
"--unkbg:#3a3010;--bar-none:#3a3f4b}}\n"
"*{box-sizing:border-box}\n"
"body{margin:0 auto;max-width:72rem;padding:.75rem;background:var(--bg);"
"color:var(--fg);font:16px/1.4 system-ui,-apple-system,'Segoe UI',"
"Roboto,sans-serif;overflow-wrap:anywhere}\n"
"h1{font-size:1.3rem;margin:.2rem 0}h2{font-size:1.05rem;margin:1.2rem 0 "
".4rem}\n"
"a{color:inherit}\n"
".summary{font-size:1.15rem;font-weight:600;padding:.6rem .8rem;"
"border-radius:.5rem;margin:.4rem 0}\n"
".summary.bad{background:var(--downbg);color:var(--down)}\n"
".summary.good{background:var(--upbg);color:var(--up)}\n"
".summary.unknown{background:var(--unkbg);color:var(--unk)}\n"
".meta,.dev,.facts,.paging,footer{color:var(--mute);font-size:.9rem}\n"
"ul.cards{list-style:none;margin:0;padding:0;display:grid;gap:.5rem;"
"grid-template-columns:repeat(auto-fill,minmax(min(100%,22rem),1fr))}\n"
".card{background:var(--card);border:1px solid var(--line);"
"border-left:.35rem solid var(--line);border-radius:.5rem;"
"padding:.55rem .7rem;min-width:0}\n"
".card.down{border-left-color:var(--down)}"
".card.up{border-left-color:var(--bar-ok)}"
".card.unknown,.card.paused{border-left-color:var(--unk)}\n"
".top{display:flex;flex-wrap:wrap;align-items:baseline;gap:.2rem .5rem}\n"
".disp{font-weight:650;font-size:1.05rem;text-decoration:none}\n"
".card p{margin:.2rem 0}\n"
".state{font-size:.75rem;font-weight:700;letter-spacing:.04em;"
"padding:.05rem .4rem;border-radius:.3rem;border:1px solid currentColor;"
"white-space:nowrap}\n"
".state.down{color:var(--down);background:var(--downbg)}"
".state.up{color:var(--up);background:var(--upbg)}"
".state.unknown,.state.paused{color:var(--unk);background:var(--unkbg)}\n"
".flap{font-size:.75rem;font-weight:700;letter-spacing:.04em;"
"padding:.05rem .4rem;border-radius:.3rem;border:1px dashed currentColor;"
"white-space:nowrap;color:var(--unk);background:var(--unkbg)}\n"
".hist{display:flex;align-items:center;gap:.4rem;margin-top:.3rem;"
"font-size:.75rem;color:var(--mute)}\n"
".hist .lbl{width:2.6rem;flex:none}\n"
".frame{flex:1;min-width:0;display:flex;gap:1px;height:1.1rem;"
"border:1px solid var(--line);border-radius:.25rem;overflow:hidden;"
"align-items:stretch}\n"
".frame .nohist{margin:auto;font-style:italic}\n"
".frame b{flex:1;background:var(--bar-none)}.frame b.ok{background:"
"var(--bar-ok)}.frame b.part{background:var(--bar-part)}.frame b.out{"
"background:var(--bar-out)}\n"
"form.search{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0}\n"
"form.search input,form.search select,form.search button{font:inherit;"
"padding:.3rem .5rem;max-width:100%}\n"
"form.search input{flex:1 1 10rem;min-width:0}\n"
"ol.events{padding-left:1.2rem;margin:0}ol.events li{margin:.15rem 0}\n"
"dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem "
".8rem;color:inherit;font-size:.95rem}dl.facts dt{color:var(--mute)}"
"dl.facts dd{margin:0;min-width:0}\n"
"table.plain{border-collapse:collapse}table.plain td,table.plain th{"
"border:1px solid var(--line);padding:.2rem .4rem;text-align:left}\n";

int ph_status_css(request_rec *r)
{
    ap_set_content_type(r, "text/css; charset=utf-8");
    apr_table_setn(r->headers_out, "Cache-Control", "max-age=3600");
    if (!r->header_only) {
        ap_rwrite(ph_css, sizeof(ph_css) - 1, r);
    }
    return OK;
}
