// Passkey ceremonies on Roster's sign-in and activation pages (ADR 0042). Served as a file, so the pages' CSP
// allows script-src 'self' and nothing inline. @simplewebauthn/browser (webauthn.js, loaded first) converts between
// the server's JSON options and navigator.credentials; this file only fetches the options, runs the ceremony and
// posts the result in the form, so the server's answer (a redirect to the app, or a page) is an ordinary navigation.
(() => {
  const lib = globalThis.SimpleWebAuthnBrowser;
  for (const form of document.querySelectorAll('form[data-passkey]')) {
    const status = form.querySelector('[data-passkey-status]');
    const say = (text) => {
      if (status) status.textContent = text;
    };
    if (!lib?.browserSupportsWebAuthn()) {
      say('This browser cannot use passkeys.');
      continue;
    }
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = form.querySelector('button[type="submit"]');
      if (button) button.disabled = true;
      say('Waiting for your passkey…');
      try {
        const res = await fetch(form.dataset.options, {
          method: 'POST',
          credentials: 'same-origin',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ csrf: form.querySelector('input[name="csrf"]').value }),
        });
        if (!res.ok) throw new Error(res.status === 429 ? 'Too many attempts. Try again shortly.' : 'Start again.');
        const optionsJSON = await res.json();
        const result =
          form.dataset.passkey === 'register'
            ? await lib.startRegistration({ optionsJSON })
            : await lib.startAuthentication({ optionsJSON });
        form.querySelector('input[name="response"]').value = JSON.stringify(result);
        form.submit();
      } catch (error) {
        say(
          error?.name === 'NotAllowedError'
            ? 'The passkey request was cancelled or timed out.'
            : `The passkey did not work. ${error?.message ?? ''}`,
        );
        if (button) button.disabled = false;
      }
    });
  }
})();
