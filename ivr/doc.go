// Package ivr is Statecraft's IVR media service: a Step Functions activity
// worker that places phone calls, plays prompts, collects DTMF digits and
// hangs up, driven by the state machine through one activity (mediaService
// in the alarm notification workflow).
//
// It uses only the public activity API (GetActivityTask, SendTaskSuccess,
// SendTaskFailure, SendTaskHeartbeat), so it works against AWS Step Functions
// as well as against Statecraft. The telephony itself is a Backend; package
// ivr/sipua provides one over SIP/RTP.
//
// # The IVR wing
//
// Everything that only the IVR needs lives under ivr/:
//
//	ivr               the worker: commands, calls and DTMF buffers, inbound calls, hand-offs
//	ivr/sipua         the SIP/RTP Backend (placing and answering calls, prompts, DTMF)
//	ivr/mediaservice  the worker and the SIP Backend assembled, as `statecraft media-service` runs it
//	ivr/workflowapi   the workflow API: tenants, their workflows and the numbers inbound calls are routed by
//	ivr/ivrtest       a fake telephony Backend for tests
//
// The project file's IVR sections (tenants, workflowApi, mediaService) are
// read by package project with the rest of the file; `statecraft server`
// (package cli) runs the workflow API and, when the project has a
// mediaService section, the media service, both calling the server's Step
// Functions API in process.
//
// # Activity input
//
// The task input is a JSON object whose "command" field names the command,
// as in the seed workflow's Task Parameters:
//
//	placeCall   {destinationNumber, callerId?, ringTimeout?}
//	            -> {dialogId, status: answered|busy|noAnswer|failed}
//	playPrompt  {dialogId, say | audio, voice?, rate?, loop?, bargeIn?}
//	            -> {dialogId, playStatus: completed|interrupted|hangup}
//	waitForDTMF {dialogId, terminationKey?, maxDigits?, timeout?, interDigitTimeout?}
//	            -> {dialogId, dtmfBuffer, reason, dtmfParams: {dtmfBuffer, reason, terminationKey}}
//	hangupCall  {dialogId} -> {dialogId, status: hungUp, dtmfParams: {dtmfBuffer}}
//
// A tenant's executions (package ivr/mediaservice finds the tenant from the
// task token) place calls through the tenant's trunk from its caller id and
// speak in its voice, unless the input gives callerId or voice
// (Config.TenantOf, TenantSettings).
//
// Every output starts as a copy of the input without "command", so values
// such as destinationNumber (or a PIN) flow through a chain of Tasks the
// way the seed's Parameters expect.
package ivr
