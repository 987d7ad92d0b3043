// The printout status page (participants/print_views.py): while the printout is queued or being
// made, ask its JSON status every few seconds and reload the page when it is finished, so the
// download link appears by itself. Without JavaScript the page's Refresh link does the same.
// It stops after ten minutes, and whenever the answer is not what it expects.
const box = document.getElementById("printout-status");
const url = box && box.dataset.poll;
if (url) {
  const every = Math.max(1, Number(box.dataset.pollSeconds) || 3) * 1000;
  const until = Date.now() + 10 * 60 * 1000;
  const ask = async () => {
    try {
      const answer = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!answer.ok) return;
      const { status } = await answer.json();
      if (status === "ready" || status === "failed") {
        window.location.reload();
        return;
      }
    } catch {
      return;
    }
    if (Date.now() < until) window.setTimeout(ask, every);
  };
  window.setTimeout(ask, every);
}
