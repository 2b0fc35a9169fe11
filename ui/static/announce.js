// A polite live region (ui/widgets.py's announce): it stays in the page from run to run, so a
// screen reader hears each new text. Streamlit's own elements replace their markup on a change
// (st.html sets innerHTML), and a region inserted with its text already in it is not reliably
// announced. At most one announcement per 2 s: a fast run must not flood a reader.

const MIN_GAP_MS = 2000;

export default function ({ data, parentElement }) {
  const p = parentElement.querySelector(".ae-announce");
  if (!p || !data) return;
  const st = p.__ae || (p.__ae = { last: 0, timer: null, text: p.textContent });
  const show = () => { st.timer = null; st.last = Date.now(); p.textContent = st.want; };
  st.want = data.text || "";
  if (st.want === p.textContent) return;
  const wait = MIN_GAP_MS - (Date.now() - st.last);
  if (wait <= 0) show(); else if (!st.timer) st.timer = setTimeout(show, wait);
}
