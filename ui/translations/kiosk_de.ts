<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name></name>
    <message>
        <source>The scan could not be read. Please try again.</source>
        <translation>Der Scan konnte nicht gelesen werden. Bitte versuchen Sie es noch einmal.</translation>
    </message>
    <message>
        <source>Verify your identity</source>
        <translation>Identität bestätigen</translation>
    </message>
    <message>
        <source>It takes about two minutes. Every check runs on this kiosk.</source>
        <translation>Das dauert etwa zwei Minuten. Alle Prüfungen laufen hier am Terminal.</translation>
    </message>
    <message>
        <source>Your passport or national ID card</source>
        <translation>Ihr Reisepass oder Personalausweis</translation>
    </message>
    <message>
        <source>Your face, for a short live check</source>
        <translation>Ihr Gesicht, für eine kurze Live-Prüfung</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>Starten</translation>
    </message>
    <message>
        <source>Start the identity check</source>
        <translation>Identitätsprüfung starten</translation>
    </message>
    <message>
        <source>Your images never leave this kiosk.</source>
        <translation>Ihre Bilder verlassen dieses Terminal nie.</translation>
    </message>
    <message>
        <source>Staff</source>
        <translation>Personal</translation>
    </message>
    <message>
        <source>Staff console</source>
        <translation>Personalbereich</translation>
    </message>
    <message>
        <source>Before we start</source>
        <translation>Bevor wir beginnen</translation>
    </message>
    <message>
        <source>We read your ID document</source>
        <translation>Wir lesen Ihr Ausweisdokument</translation>
    </message>
    <message>
        <source>The photo page and its machine-readable zone: name, date of birth, document number and the photo.</source>
        <translation>Die Seite mit dem Foto und ihre maschinenlesbare Zone: Name, Geburtsdatum, Dokumentnummer und das Foto.</translation>
    </message>
    <message>
        <source>We take a short live video of your face</source>
        <translation>Wir filmen kurz Ihr Gesicht</translation>
    </message>
    <message>
        <source>To check that you are present and that you match the photo in the document.</source>
        <translation>Um zu prüfen, dass Sie anwesend sind und dem Foto im Dokument entsprechen.</translation>
    </message>
    <message>
        <source>Your images stay on this kiosk</source>
        <translation>Ihre Bilder bleiben auf diesem Terminal</translation>
    </message>
    <message numerus="yes">
        <source>They are stored encrypted for staff review and erased after %n days.</source>
        <translation>
            <numerusform>Sie werden verschlüsselt für die Prüfung durch das Personal gespeichert und nach %n Tag gelöscht.</numerusform>
            <numerusform>Sie werden verschlüsselt für die Prüfung durch das Personal gespeichert und nach %n Tagen gelöscht.</numerusform>
        </translation>
    </message>
    <message>
        <source>Only the decision is sent to the bank</source>
        <translation>Nur die Entscheidung geht an die Bank</translation>
    </message>
    <message>
        <source>Approved, staff check or not approved, with the reasons. No image and no biometric data.</source>
        <translation>Bestätigt, Prüfung durch Personal oder nicht bestätigt, mit den Gründen. Kein Bild und keine biometrischen Daten.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>I agree, continue</source>
        <translation>Einverstanden, weiter</translation>
    </message>
    <message>
        <source>I agree to the processing, continue</source>
        <translation>Ich bin mit der Verarbeitung einverstanden, weiter</translation>
    </message>
    <message>
        <source>Checking your details</source>
        <translation>Wir prüfen Ihre Angaben</translation>
    </message>
    <message>
        <source>This takes a few seconds. Please stay here.</source>
        <translation>Das dauert einige Sekunden. Bitte bleiben Sie hier.</translation>
    </message>
    <message>
        <source>Reference: %1</source>
        <translation>Referenz: %1</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Fertig</translation>
    </message>
    <message>
        <source>Done, back to the start</source>
        <translation>Fertig, zurück zum Anfang</translation>
    </message>
    <message numerus="yes">
        <source>This screen closes in %n seconds.</source>
        <translation>
            <numerusform>Diese Anzeige schließt in %n Sekunde.</numerusform>
            <numerusform>Diese Anzeige schließt in %n Sekunden.</numerusform>
        </translation>
    </message>
    <message>
        <source>No camera found</source>
        <translation>Keine Kamera gefunden</translation>
    </message>
    <message>
        <source>Connect a camera and bind it in the staff console, or try the kiosk in demo mode with a simulated customer.</source>
        <translation>Schließen Sie eine Kamera an und binden Sie sie im Personalbereich, oder testen Sie das Terminal im Demo-Modus mit einer simulierten Kundin.</translation>
    </message>
    <message>
        <source>This kiosk is not available right now</source>
        <translation>Dieses Terminal ist gerade nicht verfügbar</translation>
    </message>
    <message>
        <source>Please ask a member of staff for help.</source>
        <translation>Bitte wenden Sie sich an unser Personal.</translation>
    </message>
    <message>
        <source>Start demo mode</source>
        <translation>Demo-Modus starten</translation>
    </message>
    <message>
        <source>Your ID document</source>
        <translation>Ihr Ausweisdokument</translation>
    </message>
    <message>
        <source>Place the photo page of your passport or ID card in the frame. It is captured automatically.</source>
        <translation>Legen Sie die Fotoseite Ihres Passes oder Ausweises in den Rahmen. Sie wird automatisch aufgenommen.</translation>
    </message>
    <message>
        <source>Place the photo page face down on the scanner glass, close the lid and press Scan.</source>
        <translation>Legen Sie die Fotoseite nach unten auf das Scannerglas, schließen Sie den Deckel und tippen Sie auf Scannen.</translation>
    </message>
    <message>
        <source>Please hand your document to the clerk for scanning.</source>
        <translation>Bitte geben Sie Ihr Dokument dem Personal zum Scannen.</translation>
    </message>
    <message>
        <source>Got it. Thank you.</source>
        <translation>Erfasst. Vielen Dank.</translation>
    </message>
    <message>
        <source>Hold still</source>
        <translation>Bitte still halten</translation>
    </message>
    <message>
        <source>Scanning…</source>
        <translation>Wird gescannt…</translation>
    </message>
    <message>
        <source>Ready to scan</source>
        <translation>Bereit zum Scannen</translation>
    </message>
    <message>
        <source>Scan</source>
        <translation>Scannen</translation>
    </message>
    <message>
        <source>Scan the document</source>
        <translation>Dokument scannen</translation>
    </message>
    <message>
        <source>Cancel and go back to the start</source>
        <translation>Abbrechen und zurück zum Anfang</translation>
    </message>
    <message>
        <source>Live check</source>
        <translation>Live-Prüfung</translation>
    </message>
    <message>
        <source>Look at the camera and keep your face in the oval</source>
        <translation>Schauen Sie in die Kamera und halten Sie Ihr Gesicht im Oval</translation>
    </message>
    <message>
        <source>Well done. Please stay still a moment.</source>
        <translation>Sehr gut. Bitte noch einen Moment still halten.</translation>
    </message>
    <message>
        <source>Step %1 of %2</source>
        <translation>Schritt %1 von %2</translation>
    </message>
    <message>
        <source>Follow the arrows. The ring fills while you hold the pose.</source>
        <translation>Folgen Sie den Pfeilen. Der Ring füllt sich, solange Sie die Haltung halten.</translation>
    </message>
    <message>
        <source>Signed in: %1</source>
        <translation>Angemeldet: %1</translation>
    </message>
    <message>
        <source>Lock</source>
        <translation>Sperren</translation>
    </message>
    <message>
        <source>Lock the console</source>
        <translation>Personalbereich sperren</translation>
    </message>
    <message numerus="yes">
        <source>Review queue (%n)</source>
        <translation>
            <numerusform>Prüfliste (%n)</numerusform>
            <numerusform>Prüfliste (%n)</numerusform>
        </translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message numerus="yes">
        <source>Waiting for a staff check: %n</source>
        <translation>
            <numerusform>Wartet auf Prüfung: %n</numerusform>
            <numerusform>Warten auf Prüfung: %n</numerusform>
        </translation>
    </message>
    <message>
        <source>Time (UTC)</source>
        <translation>Zeit (UTC)</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>Referenz</translation>
    </message>
    <message>
        <source>Reasons</source>
        <translation>Gründe</translation>
    </message>
    <message>
        <source>Review queue</source>
        <translation>Prüfliste</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Aktualisieren</translation>
    </message>
    <message>
        <source>Refresh the review queue</source>
        <translation>Prüfliste aktualisieren</translation>
    </message>
    <message>
        <source>Note (required, stays encrypted on this kiosk)</source>
        <translation>Notiz (Pflicht, bleibt verschlüsselt auf diesem Terminal)</translation>
    </message>
    <message>
        <source>Review note</source>
        <translation>Prüfnotiz</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>Bestätigen</translation>
    </message>
    <message>
        <source>Approve the case</source>
        <translation>Fall bestätigen</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>Ablehnen</translation>
    </message>
    <message>
        <source>Reject the case</source>
        <translation>Fall ablehnen</translation>
    </message>
    <message>
        <source>The store is locked; unlock it under Status.</source>
        <translation>Der Speicher ist gesperrt; entsperren Sie ihn unter Status.</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Wird geladen…</translation>
    </message>
    <message>
        <source>Select a case in the queue.</source>
        <translation>Wählen Sie einen Fall aus der Liste.</translation>
    </message>
    <message>
        <source>Case %1, decided %2</source>
        <translation>Fall %1, entschieden: %2</translation>
    </message>
    <message>
        <source>No evidence images (%1).</source>
        <translation>Keine Beweisbilder (%1).</translation>
    </message>
    <message>
        <source>No reasons recorded.</source>
        <translation>Keine Gründe vermerkt.</translation>
    </message>
    <message>
        <source>Case %1: %2 recorded.</source>
        <translation>Fall %1: %2 gespeichert.</translation>
    </message>
    <message>
        <source>The case data was erased under the retention policy.</source>
        <translation>Die Falldaten wurden gemäß der Aufbewahrungsregel gelöscht.</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>unbekannt</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ja</translation>
    </message>
    <message>
        <source>no</source>
        <translation>nein</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Kamera</translation>
    </message>
    <message>
        <source>Mirror the selfie preview</source>
        <translation>Selfie-Vorschau spiegeln</translation>
    </message>
    <message>
        <source>Document source</source>
        <translation>Dokumentquelle</translation>
    </message>
    <message>
        <source>Scanner</source>
        <translation>Scanner</translation>
    </message>
    <message>
        <source>Scan resolution (dpi)</source>
        <translation>Scanauflösung (dpi)</translation>
    </message>
    <message>
        <source>Watched folder</source>
        <translation>Überwachter Ordner</translation>
    </message>
    <message>
        <source>Policy file</source>
        <translation>Richtliniendatei</translation>
    </message>
    <message>
        <source>Default language</source>
        <translation>Standardsprache</translation>
    </message>
    <message>
        <source>High contrast by default</source>
        <translation>Standardmäßig hoher Kontrast</translation>
    </message>
    <message>
        <source>Default text size</source>
        <translation>Standard-Textgröße</translation>
    </message>
    <message>
        <source>Idle time-out (s)</source>
        <translation>Zeitlimit bei Inaktivität (s)</translation>
    </message>
    <message>
        <source>Result screen time-out (s)</source>
        <translation>Anzeigedauer des Ergebnisses (s)</translation>
    </message>
    <message>
        <source>Camera resolution</source>
        <translation>Kameraauflösung</translation>
    </message>
    <message>
        <source>Test and bind</source>
        <translation>Testen und binden</translation>
    </message>
    <message>
        <source>Test the camera and bind it to this kiosk</source>
        <translation>Kamera testen und an dieses Terminal binden</translation>
    </message>
    <message>
        <source>Find scanners</source>
        <translation>Scanner suchen</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>Prüfen</translation>
    </message>
    <message>
        <source>Check the policy file</source>
        <translation>Richtliniendatei prüfen</translation>
    </message>
    <message>
        <source>Save settings</source>
        <translation>Einstellungen speichern</translation>
    </message>
    <message>
        <source>empty: the bundled default policy</source>
        <translation>leer: die mitgelieferte Standardrichtlinie</translation>
    </message>
    <message>
        <source>%1 (not connected)</source>
        <translation>%1 (nicht verbunden)</translation>
    </message>
    <message>
        <source>Bound: %1</source>
        <translation>Gebunden: %1</translation>
    </message>
    <message>
        <source>No camera is bound.</source>
        <translation>Keine Kamera gebunden.</translation>
    </message>
    <message>
        <source>No camera is connected.</source>
        <translation>Keine Kamera angeschlossen.</translation>
    </message>
    <message>
        <source>Refused: %1 is a virtual camera.</source>
        <translation>Abgelehnt: %1 ist eine virtuelle Kamera.</translation>
    </message>
    <message>
        <source>Tested. Save to bind %1.</source>
        <translation>Getestet. Speichern, um %1 zu binden.</translation>
    </message>
    <message>
        <source>Testing the camera…</source>
        <translation>Kamera wird getestet…</translation>
    </message>
    <message>
        <source>Looking for scanners…</source>
        <translation>Scanner werden gesucht…</translation>
    </message>
    <message numerus="yes">
        <source>%n scanner(s) found.</source>
        <translation>
            <numerusform>%n Scanner gefunden.</numerusform>
            <numerusform>%n Scanner gefunden.</numerusform>
        </translation>
    </message>
    <message>
        <source>Saved. The next customer uses the new settings.</source>
        <translation>Gespeichert. Ab dem nächsten Kunden gelten die neuen Einstellungen.</translation>
    </message>
    <message>
        <source>Staff sign-in</source>
        <translation>Anmeldung Personal</translation>
    </message>
    <message>
        <source>Staff id</source>
        <translation>Personalkennung</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>Back to the customer screen</source>
        <translation>Zurück zur Kundenansicht</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Delete last digit</source>
        <translation>Letzte Ziffer löschen</translation>
    </message>
    <message>
        <source>Enter your staff id and PIN.</source>
        <translation>Geben Sie Ihre Personalkennung und PIN ein.</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Wird geprüft…</translation>
    </message>
    <message numerus="yes">
        <source>Wrong staff id or PIN. %n attempt(s) left before a pause.</source>
        <translation>
            <numerusform>Falsche Kennung oder PIN. Noch %n Versuch vor einer Pause.</numerusform>
            <numerusform>Falsche Kennung oder PIN. Noch %n Versuche vor einer Pause.</numerusform>
        </translation>
    </message>
    <message>
        <source>No staff PIN is set on this kiosk. Run: kiosk staff add &lt;id&gt;</source>
        <translation>Auf diesem Terminal ist keine Personal-PIN gesetzt. Ausführen: kiosk staff add &lt;id&gt;</translation>
    </message>
    <message>
        <source>Sign-in is not possible right now (%1).</source>
        <translation>Anmeldung ist gerade nicht möglich (%1).</translation>
    </message>
    <message numerus="yes">
        <source>Too many wrong PINs. Try again in %n second(s).</source>
        <translation>
            <numerusform>Zu viele falsche PINs. Nächster Versuch in %n Sekunde.</numerusform>
            <numerusform>Zu viele falsche PINs. Nächster Versuch in %n Sekunden.</numerusform>
        </translation>
    </message>
    <message>
        <source>Sync: checking…</source>
        <translation>Synchronisierung: wird geprüft…</translation>
    </message>
    <message>
        <source>Sync not configured</source>
        <translation>Synchronisierung nicht eingerichtet</translation>
    </message>
    <message>
        <source>Sync problem: %1</source>
        <translation>Problem bei der Synchronisierung: %1</translation>
    </message>
    <message numerus="yes">
        <source>%n decision(s) waiting</source>
        <translation>
            <numerusform>%n Entscheidung wartet</numerusform>
            <numerusform>%n Entscheidungen warten</numerusform>
        </translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>Kiosk</source>
        <translation>Terminal</translation>
    </message>
    <message>
        <source>Encrypted store</source>
        <translation>Verschlüsselter Speicher</translation>
    </message>
    <message>
        <source>Upstream sync</source>
        <translation>Synchronisierung</translation>
    </message>
    <message>
        <source>Recent problems</source>
        <translation>Letzte Probleme</translation>
    </message>
    <message>
        <source>Store passphrase</source>
        <translation>Passphrase des Speichers</translation>
    </message>
    <message>
        <source>Unlock store</source>
        <translation>Speicher entsperren</translation>
    </message>
    <message>
        <source>Unlock the store</source>
        <translation>Den Speicher entsperren</translation>
    </message>
    <message>
        <source>Refresh the status</source>
        <translation>Status aktualisieren</translation>
    </message>
    <message>
        <source>Check the kiosk again</source>
        <translation>Terminal erneut prüfen</translation>
    </message>
    <message>
        <source>Run the start-up checks again</source>
        <translation>Die Startprüfungen erneut ausführen</translation>
    </message>
    <message>
        <source>Unlocking…</source>
        <translation>Wird entsperrt…</translation>
    </message>
    <message>
        <source>Not open.</source>
        <translation>Nicht geöffnet.</translation>
    </message>
    <message>
        <source>Demo mode: cases are not stored.</source>
        <translation>Demo-Modus: Fälle werden nicht gespeichert.</translation>
    </message>
    <message>
        <source>checking…</source>
        <translation>wird geprüft…</translation>
    </message>
    <message>
        <source>None.</source>
        <translation>Keine.</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <source>Identity check</source>
        <translation>Identitätsprüfung</translation>
    </message>
    <message>
        <source>Larger text</source>
        <translation>Größere Schrift</translation>
    </message>
    <message>
        <source>Contrast</source>
        <translation>Kontrast</translation>
    </message>
    <message>
        <source>High contrast</source>
        <translation>Hoher Kontrast</translation>
    </message>
</context>
<context>
    <name>Kiosk</name>
    <message>
        <source>Slowly turn your head to your left</source>
        <translation>Drehen Sie den Kopf langsam nach links</translation>
    </message>
    <message>
        <source>Slowly turn your head to your right</source>
        <translation>Drehen Sie den Kopf langsam nach rechts</translation>
    </message>
    <message>
        <source>Look up a little</source>
        <translation>Schauen Sie etwas nach oben</translation>
    </message>
    <message>
        <source>Look straight at the camera</source>
        <translation>Schauen Sie direkt in die Kamera</translation>
    </message>
    <message>
        <source>Blink slowly</source>
        <translation>Blinzeln Sie langsam</translation>
    </message>
    <message>
        <source>Smile</source>
        <translation>Lächeln Sie</translation>
    </message>
    <message>
        <source>Only one person in front of the camera, please</source>
        <translation>Bitte nur eine Person vor der Kamera</translation>
    </message>
    <message>
        <source>Move your face into the oval</source>
        <translation>Bringen Sie Ihr Gesicht in das Oval</translation>
    </message>
    <message>
        <source>Move closer</source>
        <translation>Kommen Sie näher</translation>
    </message>
    <message>
        <source>Move back a little</source>
        <translation>Gehen Sie etwas zurück</translation>
    </message>
    <message>
        <source>Too dark: face the light</source>
        <translation>Zu dunkel: wenden Sie sich dem Licht zu</translation>
    </message>
    <message>
        <source>Too bright: step out of direct light</source>
        <translation>Zu hell: gehen Sie aus dem direkten Licht</translation>
    </message>
    <message>
        <source>Place your ID inside the frame</source>
        <translation>Legen Sie Ihren Ausweis in den Rahmen</translation>
    </message>
    <message>
        <source>Keep the whole document in view</source>
        <translation>Das ganze Dokument muss sichtbar sein</translation>
    </message>
    <message>
        <source>Move the document closer</source>
        <translation>Halten Sie das Dokument näher</translation>
    </message>
    <message>
        <source>Tilt the document to avoid reflections</source>
        <translation>Neigen Sie das Dokument gegen Spiegelungen</translation>
    </message>
    <message>
        <source>Hold still: the picture is blurred</source>
        <translation>Bitte still halten: das Bild ist unscharf</translation>
    </message>
    <message>
        <source>Hold still</source>
        <translation>Bitte still halten</translation>
    </message>
    <message>
        <source>You are verified</source>
        <translation>Ihre Identität ist bestätigt</translation>
    </message>
    <message>
        <source>Almost done</source>
        <translation>Fast geschafft</translation>
    </message>
    <message>
        <source>We could not verify you</source>
        <translation>Wir konnten Sie nicht bestätigen</translation>
    </message>
    <message>
        <source>Please ask a member of staff</source>
        <translation>Bitte wenden Sie sich an unser Personal</translation>
    </message>
    <message>
        <source>Thank you. Your identity has been confirmed.</source>
        <translation>Vielen Dank. Ihre Identität ist bestätigt.</translation>
    </message>
    <message>
        <source>A member of staff will check your details shortly. Please wait here or go to the counter.</source>
        <translation>Unser Personal prüft Ihre Angaben gleich. Bitte warten Sie hier oder gehen Sie zum Schalter.</translation>
    </message>
    <message>
        <source>We could not read your ID document. You can try again, or a member of staff can help you.</source>
        <translation>Wir konnten Ihr Ausweisdokument nicht lesen. Versuchen Sie es noch einmal, oder unser Personal hilft Ihnen.</translation>
    </message>
    <message>
        <source>Your ID document has expired. Please use a valid passport or ID card.</source>
        <translation>Ihr Ausweisdokument ist abgelaufen. Bitte verwenden Sie einen gültigen Pass oder Ausweis.</translation>
    </message>
    <message>
        <source>This type of document is not accepted here. Please use a passport or a national ID card.</source>
        <translation>Diese Dokumentart wird hier nicht angenommen. Bitte verwenden Sie einen Reisepass oder Personalausweis.</translation>
    </message>
    <message>
        <source>This service is not available for your age group. A member of staff can help you.</source>
        <translation>Dieser Dienst steht Ihrer Altersgruppe nicht zur Verfügung. Unser Personal hilft Ihnen.</translation>
    </message>
    <message>
        <source>We could not take a clear picture of your face. Make sure you are alone in front of the camera and try again.</source>
        <translation>Wir konnten Ihr Gesicht nicht deutlich aufnehmen. Stellen Sie sich allein vor die Kamera und versuchen Sie es noch einmal.</translation>
    </message>
    <message>
        <source>We could not confirm that the photo in the document is you. A member of staff can help you.</source>
        <translation>Wir konnten nicht bestätigen, dass das Foto im Dokument Sie zeigt. Unser Personal hilft Ihnen.</translation>
    </message>
    <message>
        <source>The live check did not succeed. You can try again, or a member of staff can help you.</source>
        <translation>Die Live-Prüfung ist nicht gelungen. Versuchen Sie es noch einmal, oder unser Personal hilft Ihnen.</translation>
    </message>
    <message>
        <source>We cannot complete your check at this kiosk. A member of staff can help you.</source>
        <translation>Wir können Ihre Prüfung an diesem Terminal nicht abschließen. Unser Personal hilft Ihnen.</translation>
    </message>
    <message>
        <source>Something went wrong on our side. Nothing was decided. A member of staff can help you.</source>
        <translation>Bei uns ist etwas schiefgegangen. Es wurde nichts entschieden. Unser Personal hilft Ihnen.</translation>
    </message>
    <message>
        <source>Document</source>
        <translation>Dokument</translation>
    </message>
    <message>
        <source>Face</source>
        <translation>Gesicht</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Ergebnis</translation>
    </message>
</context>
</TS>
