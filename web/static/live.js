// Live pages (issue 15). A page whose <main> carries data-live="<object
// types>" listens to /evenements/flux (server-sent events); when something
// it shows changes, the page is fetched again and its content swapped in,
// without a reload. A field being typed in is never overwritten: the update
// waits until the field loses focus.
const main = document.querySelector("main[data-live]");
if (main && "EventSource" in window) {
  let busy = false;
  let leaving = false;
  let again = false;
  const typing = () => {
    const el = document.activeElement;
    return el && main.contains(el) && el.matches("input, textarea, select");
  };
  const refresh = async () => {
    if (leaving) {
      return;
    }
    if (busy || typing()) {
      again = true;
      return;
    }
    busy = true;
    try {
      // X-Kairos-Live: the server leaves the one-time message (flash) for
      // the page the user navigates to, instead of spending it here.
      const resp = await fetch(location.href, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html", "X-Kairos-Live": "1" } });
      if (resp.ok && !resp.redirected) {
        const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
        const fresh = doc.querySelector("main[data-live]");
        if (fresh && !leaving) {
          // The message shown after the last action stays on screen.
          const messages = main.querySelector("#messages");
          main.innerHTML = fresh.innerHTML;
          const slot = main.querySelector("#messages");
          if (messages && slot) {
            slot.replaceWith(messages);
          }
          main.dataset.liveUpdated = String(Date.now());
        }
      }
    } catch (e) {
      // The next change, or the next reload, will show the page as it is.
    } finally {
      busy = false;
      if (again) {
        again = false;
        setTimeout(refresh, 300);
      }
    }
  };
  const source = new EventSource("/evenements/flux?objets=" + encodeURIComponent(main.dataset.live));
  source.addEventListener("change", refresh);
  // Once a form is sent or the page is left, the page being replaced is not
  // refreshed any more.
  const leave = () => {
    leaving = true;
    source.close();
  };
  document.addEventListener("submit", (e) => {
    if (!e.defaultPrevented && e.target.method === "post") {
      leave();
    }
  });
  window.addEventListener("pagehide", leave);
  main.addEventListener("focusout", () => {
    if (again) {
      setTimeout(refresh, 50);
    }
  });
}
