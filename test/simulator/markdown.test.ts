import { describe, expect, it } from 'vitest';
import { escapeHtml, inlineToHtml, markdownToHtml, safeColor } from '../../src/simulator/public/markdown.js';

describe('card markdown subset', () => {
  it('escapes every piece of text', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
    expect(markdownToHtml('<img src=x onerror=alert(1)>')).toBe('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
    expect(markdownToHtml('**<b>bold</b>**')).toBe('<p><strong>&lt;b&gt;bold&lt;/b&gt;</strong></p>');
  });

  it('renders bold, italic, strike, code and line breaks', () => {
    expect(markdownToHtml('请在 **11月16日（周一）09:00** 前提交。带 * 的为必填项。')).toBe(
      '<p>请在 <strong>11月16日（周一）09:00</strong> 前提交。带 * 的为必填项。</p>',
    );
    expect(markdownToHtml('a *b* ~~c~~ `d<e>`\n第二行')).toBe('<p>a <em>b</em> <del>c</del> <code>d&lt;e&gt;</code><br>第二行</p>');
  });

  it('renders <font color> with known colours only', () => {
    expect(inlineToHtml(`<font color='red'>未交 2 周</font>`)).toBe('<span class="md-color" style="color:#f54a45">未交 2 周</span>');
    expect(inlineToHtml(`<font color="#00ff00">ok</font>`)).toBe('<span class="md-color" style="color:#00ff00">ok</span>');
    // Anything else keeps the text and drops the colour, never echoing it into a style attribute.
    expect(inlineToHtml(`<font color='red;background:url(x)'>x</font>`)).toBe('&lt;font color=&#39;red;background:url(x)&#39;&gt;x&lt;/font&gt;');
    expect(inlineToHtml(`<font color='expression'>x</font>`)).toBe('x');
    expect(safeColor('javascript:alert(1)')).toBeUndefined();
  });

  it('renders lists, headings and paragraphs', () => {
    const md = `<font color='red'>请修改后再提交：</font>\n- 「环境责任区总体情况」必填\n- 「备注」不能超过 1000 字\n\n1. 第一\n2. 第二\n# 标题`;
    expect(markdownToHtml(md)).toBe(
      '<p><span class="md-color" style="color:#f54a45">请修改后再提交：</span></p>' +
        '<ul><li>「环境责任区总体情况」必填</li><li>「备注」不能超过 1000 字</li></ul>' +
        '<ol><li>第一</li><li>第二</li></ol>' +
        '<h3>标题</h3>',
    );
  });

  it('renders http(s) links only and names @mentions', () => {
    expect(inlineToHtml('[飞书](https://www.feishu.cn/a?b=1&c=2)')).toBe(
      '<a href="https://www.feishu.cn/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">飞书</a>',
    );
    expect(inlineToHtml('[x](javascript:alert(1))')).toBe('x)');
    expect(inlineToHtml('<at id=ou_1></at> 和 <at id=all></at>', { mentionName: (id) => (id === 'ou_1' ? '王建国' : undefined) })).toBe(
      '<span class="md-at">@王建国</span> 和 <span class="md-at">@所有人</span>',
    );
    expect(inlineToHtml('<at id=ou_<b>></at>')).toBe('&lt;at id=ou_&lt;b&gt;&gt;&lt;/at&gt;');
  });
});
