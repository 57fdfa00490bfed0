import { html, trusted } from './html';

describe('html', () => {
  it('escapes every interpolated string, also inside attributes', () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<a title="${evil}">${evil}</a>`.value).toBe(
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>',
    );
  });

  it('nests templates and arrays without escaping them twice, and renders nothing for null and false', () => {
    const items = ['a<b', 'c'].map((t) => html`<li>${t}</li>`);
    // prettier-ignore
    const page = html`<ul>${items}${null}${false}${undefined}</ul>${trusted('<hr>')}`;
    expect(page.value).toBe('<ul><li>a&lt;b</li><li>c</li></ul><hr>');
    expect(html`${0}`.value).toBe('0');
  });
});
